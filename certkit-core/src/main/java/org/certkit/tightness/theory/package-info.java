/**
 * Theory of propagation tightness for deep linear networks (Mao et al., "Understanding
 * Certified Training with Interval Bound Propagation", sections 3.1-3.5 and appendices A-B):
 * optimal and layer-wise box radii ({@link org.certkit.tightness.theory.DeepLinearNetwork},
 * Theorem 3.2), propagation invariance ({@link
 * org.certkit.tightness.theory.PropagationInvariance}, Lemma 3.3, Theorem 3.4, Corollary A.1),
 * closed forms ({@link org.certkit.tightness.theory.InitializationTightness} for Lemma 3.7,
 * Corollary 3.8 and Lemma B.2; {@link org.certkit.tightness.theory.BoxReconstruction} for
 * Theorem 3.10) and the Monte-Carlo estimators that check them. Everything here works on
 * {@code double[][]} in plain Java, without DJL: the matrices are small enough, and double
 * precision keeps the closed-form comparisons clean.
 */
package org.certkit.tightness.theory;
