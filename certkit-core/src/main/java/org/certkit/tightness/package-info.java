/**
 * Propagation tightness (Mao et al., "Understanding Certified Training with Interval Bound
 * Propagation", section 3): how much smaller the optimal box is than the layer-wise (IBP) box.
 * {@link org.certkit.tightness.LocalTightness} measures it for ReLU networks and CNNs around
 * concrete inputs (Definition 3.6); the {@code theory} sub-package holds the closed forms and
 * Monte-Carlo estimators for deep linear networks.
 */
package org.certkit.tightness;
