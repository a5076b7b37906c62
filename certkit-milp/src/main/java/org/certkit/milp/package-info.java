/**
 * Solver bounds of ReLU network outputs by mixed-integer linear programming (MILP), after Tjeng,
 * Xiao and Tedrake, "Evaluating robustness of neural networks with mixed integer programming"
 * (ICLR 2019), solved with OR-Tools (SCIP by default).
 *
 * <p>The MILP bounds hold within the solver's tolerances and are widened by the allowance of
 * {@link MilpOptions}; they rest on floating-point LP solves and are not proven. The exact leaf
 * of branch and bound, {@link org.certkit.milp.LinearProgramLeaf}, is rigorous: it turns the
 * duals of its linear program into a bound in exact arithmetic (Neumaier and Shcherbina, "Safe
 * bounds in linear and mixed-integer linear programming", Math. Programming 99, 2004).
 *
 * <p>What belongs here: the MILP encoding of the layers of {@link org.certkit.net.Layer}, its
 * solve with a time limit, and result types that keep an answer the solver reported optimal
 * apart from one cut short by the limit. The module is separate from {@code certkit-core} so that users of the library
 * who do not need a solver never download one.
 */
package org.certkit.milp;
