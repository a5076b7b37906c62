package org.certkit.tightness.theory;

/**
 * Four indices that prove a two-layer deep linear network {@code W = W_2 W_1} not propagation
 * invariant by Theorem 3.4 of Mao et al.: the product {@code W_ij W_i'j' W_i'j W_ij'} of the
 * 2x2 block of {@code W} on rows {@code i, i'} and columns {@code j, j'} is negative. Indices
 * are 0-based, {@code i < iPrime} and {@code j < jPrime}.
 *
 * @param i first output row
 * @param iPrime second output row
 * @param j first input column
 * @param jPrime second input column
 */
public record SignWitness(int i, int iPrime, int j, int jPrime) {}
