package org.certkit.domain;

/** The contract of a sound domain for CROWN with outward rounding. */
class OutwardLinearContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD);
  }

  /** Sigmoid, Tanh and max pooling have no linear relaxation yet. */
  @Override
  boolean relaxesEveryLayer() {
    return false;
  }
}
