/**
 * Complete verification: {@link org.certkit.verify.PropertyVerifier} answers VNNLIB properties
 * (sat with a checked counterexample, unsat from sound bounds only, else timeout or unknown),
 * with {@link org.certkit.certify.BranchAndBound} on ReLU splits for what linear bounds alone
 * leave open.
 */
package org.certkit.verify;
