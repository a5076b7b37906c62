package org.certkit.domain;

/** The contract of a sound domain for CROWN with optimised slopes (alpha-CROWN), outward. */
class AlphaCrownContractTest extends SoundDomainContract {

  @Override
  BoundDomain domain() {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD, new LinearBoundDomain.SlopeOptimisation(20, 0.1, 0.98, 5));
  }
}
