/**
 * VNNLIB, VNN-COMP's property format (a subset of SMT-LIB), in and out:
 * {@link org.certkit.io.vnnlib.VnnlibReader} reads a property into a
 * {@link org.certkit.io.vnnlib.VnnlibProperty}, a union of input boxes with linear clauses on the
 * outputs, keeping every number as an exact decimal (with outward rounding to doubles and exact
 * membership tests for soundness); {@link org.certkit.io.vnnlib.VnnlibWriter} writes
 * local-robustness properties as the competition's benchmarks do, and
 * {@link org.certkit.io.vnnlib.VnnlibCounterexample} writes a counterexample in the
 * competition's result format. Values and text only: turning a property into the arrays of
 * {@code org.certkit.spec} belongs to the code that runs a verifier.
 */
package org.certkit.io.vnnlib;
