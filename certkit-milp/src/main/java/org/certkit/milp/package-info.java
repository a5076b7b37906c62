/**
 * Solver bounds of ReLU network outputs by mixed-integer linear programming (MILP), after Tjeng,
 * Xiao and Tedrake, "Evaluating robustness of neural networks with mixed integer programming"
 * (ICLR 2019), solved with OR-Tools (SCIP by default).
 *
 * <p>The bounds hold within the solver's tolerances and are widened by the allowance of {@link
 * MilpOptions}; they rest on floating-point LP solves and are not proven. A rigorous version
 * would need a safe dual bound: the LP duals of the final solve turned into a bound by interval
 * arithmetic with outward rounding (Neumaier and Shcherbina, "Safe bounds in linear and
 * mixed-integer linear programming", Math. Programming 99, 2004), with big-M constants from
 * outward-rounded bounds.
 *
 * <p>What belongs here: the MILP encoding of the layers of {@link org.certkit.net.Layer}, its
 * solve with a time limit, and result types that keep an answer the solver reported optimal
 * apart from one cut short by the limit. The module is separate from {@code certkit-core} so that users of the library
 * who do not need a solver never download one.
 */
package org.certkit.milp;
