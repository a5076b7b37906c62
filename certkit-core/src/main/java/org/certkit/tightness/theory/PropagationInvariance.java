package org.certkit.tightness.theory;

import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Propagation invariance of two-layer deep linear networks {@code f = W_2 W_1} (section 3.2 and
 * appendix A of Mao et al.): the exact condition of Lemma 3.3, the sign test of Theorem 3.4, and
 * the construction of Corollary A.1 that fixes every sign of {@code W_2 W_1} from one row and one
 * column and realises it with invariant weights.
 */
public final class PropagationInvariance {

  private PropagationInvariance() {}

  /**
   * Lemma 3.3: {@code W_2 W_1} is propagation invariant if and only if, for every output
   * {@code i} and input {@code j}, the products {@code W2_ik W1_kj} are all {@code >= 0} or all
   * {@code <= 0}. The test compares signs only, so it is exact under floating point.
   *
   * @param network a two-layer network; not modified
   * @return {@link InvarianceVerdict.Invariant}, or the first {@code (i, j)} in row-major order
   *     with products of both signs
   */
  public static InvarianceVerdict decide(DeepLinearNetwork network) {
    requireTwoLayers(network);
    double[][] w1 = network.weightView(1);
    double[][] w2 = network.weightView(2);
    for (int i = 0; i < w2.length; i++) {
      for (int j = 0; j < w1[0].length; j++) {
        int positive = -1;
        int negative = -1;
        for (int k = 0; k < w1.length; k++) {
          int sign = (int) Math.signum(w2[i][k]) * (int) Math.signum(w1[k][j]);
          if (sign > 0 && positive < 0) {
            positive = k;
          } else if (sign < 0 && negative < 0) {
            negative = k;
          }
        }
        if (positive >= 0 && negative >= 0) {
          return new InvarianceVerdict.NotInvariant(i, j, positive, negative);
        }
      }
    }
    return new InvarianceVerdict.Invariant();
  }

  /**
   * Theorem 3.4: if some 2x2 block of {@code W = W_2 W_1} has
   * {@code W_ij W_i'j' W_i'j W_ij' < 0}, the network is not propagation invariant (the non-zero
   * rows and columns the theorem assumes follow from the non-zero product). The test is
   * sufficient only: an empty result does not prove invariance (use {@link #decide}).
   *
   * @param network a two-layer network; not modified
   * @return the first witness in lexicographic order of {@code (i, i', j, j')}, or empty
   */
  public static Optional<SignWitness> signTest(DeepLinearNetwork network) {
    requireTwoLayers(network);
    double[][] w = network.product();
    for (int i = 0; i < w.length; i++) {
      for (int iPrime = i + 1; iPrime < w.length; iPrime++) {
        for (int j = 0; j < w[0].length; j++) {
          for (int jPrime = j + 1; jPrime < w[0].length; jPrime++) {
            double sign = Math.signum(w[i][j]) * Math.signum(w[iPrime][jPrime])
                * Math.signum(w[iPrime][j]) * Math.signum(w[i][jPrime]);
            if (sign < 0) {
              return Optional.of(new SignWitness(i, iPrime, j, jPrime));
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Corollary A.1: the signs of a propagation-invariant {@code W = W_2 W_1} without zero entries
   * are fixed by its first row and first column. Runs the construction of the proof: whenever
   * the signs of {@code W_ij}, {@code W_i,j+1} and {@code W_i+1,j} are known, {@code W_i+1,j+1}
   * is positive if an odd number of them is positive and negative otherwise (the only choice
   * Theorem 3.4 leaves).
   *
   * @param firstRow signs ({@code +1} or {@code -1}) of {@code W_1.} (row 0), length {@code d_0}
   * @param firstColumn signs of {@code W_.1} (column 0), length {@code d_2}; its first entry must
   *     equal {@code firstRow[0]}
   * @return the {@code [d_2, d_0]} sign pattern, newly allocated
   */
  public static int[][] completeSignPattern(int[] firstRow, int[] firstColumn) {
    if (firstRow.length == 0 || firstColumn.length == 0 || firstRow[0] != firstColumn[0]) {
      throw new IllegalArgumentException("first row and first column must be non-empty and"
          + " share their first sign");
    }
    requireSigns(firstRow, "firstRow");
    requireSigns(firstColumn, "firstColumn");
    int[][] signs = new int[firstColumn.length][firstRow.length];
    signs[0] = firstRow.clone();
    for (int i = 1; i < firstColumn.length; i++) {
      signs[i][0] = firstColumn[i];
    }
    for (int i = 0; i + 1 < signs.length; i++) {
      for (int j = 0; j + 1 < firstRow.length; j++) {
        int positives = (signs[i][j] > 0 ? 1 : 0) + (signs[i][j + 1] > 0 ? 1 : 0)
            + (signs[i + 1][j] > 0 ? 1 : 0);
        signs[i + 1][j + 1] = positives % 2 == 1 ? 1 : -1;
      }
    }
    return signs;
  }

  /**
   * Propagation-invariant weights {@code W_1 [hiddenWidth, d_0]} and {@code W_2 [d_2,
   * hiddenWidth]} without zero entries whose product has the given sign pattern. A completed
   * pattern of Corollary A.1 factorises as {@code S_ij = a_i b_j} with {@code a_i = S_i0} and
   * {@code b_j = S_00 S_0j}; the weights are {@code W1_kj = s_k b_j m} and
   * {@code W2_ik = a_i s_k m'} with random hidden-unit signs {@code s_k} and random magnitudes
   * {@code m, m'} in [0.5, 1.5), so every path {@code i <- k <- j} has the sign {@code S_ij}.
   *
   * @param signPattern the {@code [d_2, d_0]} signs of {@code W_2 W_1}, as returned by {@link
   *     #completeSignPattern}; not modified
   * @param hiddenWidth {@code d_1 >= 1}
   * @param random source of the hidden signs and magnitudes; advanced
   * @throws IllegalArgumentException if the pattern is not of the form {@code a_i b_j}, that is
   *     if no propagation-invariant network without zero entries has it
   */
  public static DeepLinearNetwork invariantNetwork(int[][] signPattern, int hiddenWidth,
      RandomGenerator random) {
    if (hiddenWidth < 1) {
      throw new IllegalArgumentException("hidden width must be at least 1, got " + hiddenWidth);
    }
    int outputs = signPattern.length;
    int inputs = signPattern[0].length;
    int[] a = new int[outputs];
    int[] b = new int[inputs];
    for (int i = 0; i < outputs; i++) {
      if (signPattern[i].length != inputs) {
        throw new IllegalArgumentException("sign pattern row " + i + " has "
            + signPattern[i].length + " entries, row 0 has " + inputs);
      }
      requireSigns(signPattern[i], "signPattern[" + i + "]");
      a[i] = signPattern[i][0];
    }
    for (int j = 0; j < inputs; j++) {
      b[j] = signPattern[0][0] * signPattern[0][j];
    }
    for (int i = 0; i < outputs; i++) {
      for (int j = 0; j < inputs; j++) {
        if (signPattern[i][j] != a[i] * b[j]) {
          throw new IllegalArgumentException("sign pattern is not propagation invariant: entry ("
              + i + ", " + j + ") contradicts Corollary A.1's completion of row 0 and column 0");
        }
      }
    }
    int[] hiddenSign = new int[hiddenWidth];
    for (int k = 0; k < hiddenWidth; k++) {
      hiddenSign[k] = random.nextBoolean() ? 1 : -1;
    }
    double[][] w1 = new double[hiddenWidth][inputs];
    for (int k = 0; k < hiddenWidth; k++) {
      for (int j = 0; j < inputs; j++) {
        w1[k][j] = hiddenSign[k] * b[j] * random.nextDouble(0.5, 1.5);
      }
    }
    double[][] w2 = new double[outputs][hiddenWidth];
    for (int i = 0; i < outputs; i++) {
      for (int k = 0; k < hiddenWidth; k++) {
        w2[i][k] = a[i] * hiddenSign[k] * random.nextDouble(0.5, 1.5);
      }
    }
    return new DeepLinearNetwork(List.of(w1, w2));
  }

  private static void requireTwoLayers(DeepLinearNetwork network) {
    if (network.depth() != 2) {
      throw new IllegalArgumentException("Lemma 3.3 and Theorem 3.4 concern two-layer networks,"
          + " got depth " + network.depth());
    }
  }

  private static void requireSigns(int[] signs, String name) {
    for (int j = 0; j < signs.length; j++) {
      if (signs[j] != 1 && signs[j] != -1) {
        throw new IllegalArgumentException(name + "[" + j + "] = " + signs[j]
            + " is not a sign (+1 or -1)");
      }
    }
  }
}
