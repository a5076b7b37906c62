/**
 * Measuring output bounds against the truth on random networks (Alsubaihi et al., "Expected
 * Tight Bounds for Robust Deep Neural Network Training", section 4, Figures 1-4, appendix A):
 * a Monte-Carlo estimate of the true output interval ({@link org.certkit.bounds.SampledBounds}),
 * the coverage metric {@code Gamma} and the width ratio {@code W_IBP / W_M}
 * ({@link org.certkit.bounds.Coverage}) on per-output {@link org.certkit.bounds.Intervals}, and
 * random networks drawn as in the paper ({@link org.certkit.bounds.GaussianNetworks}).
 *
 * <p>The expected bounds of {@link org.certkit.domain.ExpectedBoundsDomain} are not sound: they
 * contain the true interval only in expectation over Gaussian weights (Theorem 1). Nothing here
 * certifies; the sampled interval is an inner estimate of the true one (it can only be too
 * narrow), so a coverage below 1 is a genuine miss of the expected bounds, while a coverage of 1
 * is evidence, not proof.
 */
package org.certkit.bounds;
