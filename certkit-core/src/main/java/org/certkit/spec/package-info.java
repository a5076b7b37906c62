/**
 * What a bound or a verifier is asked about: the {@link org.certkit.spec.InputSet} of inputs
 * (a box of any bounds, or an L-infinity ball clipped to a stated domain) and the
 * {@link org.certkit.spec.Specification} on the outputs (margins of a label, or any matrix of
 * linear output constraints, as VNNLIB properties are). Values only: the domains in
 * {@code org.certkit.domain} compute bounds of them.
 */
package org.certkit.spec;
