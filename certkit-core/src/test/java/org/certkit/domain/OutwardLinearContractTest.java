package org.certkit.domain;

/** The contract of a sound domain for CROWN with outward rounding. */
class OutwardLinearContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD);
  }
}
