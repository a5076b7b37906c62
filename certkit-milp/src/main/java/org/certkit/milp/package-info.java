/**
 * Exact output bounds of ReLU networks by mixed-integer linear programming (MILP), after Tjeng,
 * Xiao and Tedrake, "Evaluating robustness of neural networks with mixed integer programming"
 * (ICLR 2019), solved with OR-Tools (SCIP by default).
 *
 * <p>What belongs here: the MILP encoding of the layers of {@link org.certkit.net.Layer}, its
 * solve with a time limit, and result types that keep an exact answer apart from one cut short
 * by the limit. The module is separate from {@code certkit-core} so that users of the library
 * who do not need a solver never download one.
 */
package org.certkit.milp;
