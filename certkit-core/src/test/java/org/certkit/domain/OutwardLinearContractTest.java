package org.certkit.domain;

/** The contract of a sound domain for CROWN with outward rounding. */
class OutwardLinearContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD);
  }

  /** Sound linear bounds of networks without Sigmoid or Tanh compute in float32. */
  @Override
  double zeroRadiusTolerance() {
    return 1e-4;
  }
}
