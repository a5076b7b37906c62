package org.certkit.domain;

/** The contract of a sound domain for CROWN with optimised slopes (alpha-CROWN), outward. */
class AlphaCrownContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD, new LinearBoundDomain.SlopeOptimisation(20, 0.1, 0.98, 5));
  }

  /** Sound linear bounds of networks without Sigmoid or Tanh compute in float32. */
  @Override
  double zeroRadiusTolerance() {
    return 1e-4;
  }
}
