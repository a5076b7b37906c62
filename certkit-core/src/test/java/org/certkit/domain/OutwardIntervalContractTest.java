package org.certkit.domain;

/** The contract of a sound domain for IBP with outward rounding. */
class OutwardIntervalContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new IntervalDomain(IntervalDomain.Rounding.OUTWARD);
  }
}
