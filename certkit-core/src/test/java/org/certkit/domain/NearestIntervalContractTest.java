package org.certkit.domain;

/** The contract of every domain for IBP in plain float64 (the training mode; not sound). */
class NearestIntervalContractTest extends BoundDomainContract {

  @Override
  BoundDomain domain() {
    return new IntervalDomain(IntervalDomain.Rounding.NEAREST);
  }
}
