package org.certkit.domain;

/** The contract of a sound domain for CROWN-IBP (interval pre-activation bounds), outward. */
class CrownIbpContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.INTERVAL,
        IntervalDomain.Rounding.OUTWARD);
  }

  /** Sound linear bounds of networks without Sigmoid or Tanh compute in float32. */
  @Override
  double zeroRadiusTolerance() {
    return 1e-4;
  }
}
