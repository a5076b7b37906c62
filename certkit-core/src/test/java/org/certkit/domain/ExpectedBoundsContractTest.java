package org.certkit.domain;

import org.junit.jupiter.api.Nested;

/** The contract of every domain for the expected bounds, with both centres. */
class ExpectedBoundsContractTest {

  @Nested
  class CleanOutputCentre extends BoundDomainContract {
    @Override
    BoundDomain domain() {
      return new ExpectedBoundsDomain(ExpectedBoundsDomain.MaskRule.RECURSIVE,
          ExpectedBoundsDomain.Centre.CLEAN_OUTPUT);
    }
  }

  @Nested
  class MaskedAffineCentre extends BoundDomainContract {
    @Override
    BoundDomain domain() {
      return new ExpectedBoundsDomain(ExpectedBoundsDomain.MaskRule.RECURSIVE,
          ExpectedBoundsDomain.Centre.MASKED_AFFINE);
    }
  }
}
