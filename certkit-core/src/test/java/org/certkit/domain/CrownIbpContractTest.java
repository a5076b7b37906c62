package org.certkit.domain;

/** The contract of a sound domain for CROWN-IBP (interval pre-activation bounds), outward. */
class CrownIbpContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.INTERVAL,
        IntervalDomain.Rounding.OUTWARD);
  }
}
