package org.certkit.tightness.theory;

import java.util.random.RandomGenerator;

/**
 * Random matrices for the Monte-Carlo estimators of this package: i.i.d. Gaussian matrices
 * (initialisation, section 3.3 of Mao et al.) and orthonormal columns distributed uniformly
 * (Haar) on the orthogonal group (the eigenmatrices of Theorem 3.10). Every method advances the
 * given generator and is repeatable for a seeded one.
 */
public final class RandomMatrices {

  private RandomMatrices() {}

  /** A {@code [rows, columns]} matrix of i.i.d. standard Gaussian entries, row by row. */
  public static double[][] gaussian(int rows, int columns, RandomGenerator random) {
    if (rows < 1 || columns < 1) {
      throw new IllegalArgumentException("matrix shape must be positive, got [" + rows + ", "
          + columns + "]");
    }
    double[][] m = new double[rows][columns];
    for (double[] row : m) {
      for (int j = 0; j < columns; j++) {
        row[j] = random.nextGaussian();
      }
    }
    return m;
  }

  /**
   * The first {@code k} columns {@code U_k} of a matrix {@code U} uniform on the orthogonal
   * group {@code O(d)}, returned transposed: row {@code p} of the result is column {@code p} of
   * {@code U}, so the result is {@code U_k^T} of shape {@code [k, d]}.
   *
   * <p>Method (Mezzadri, "How to generate random matrices from the classical compact groups",
   * 2007): the Householder QR factorisation {@code G = Q R} of a {@code [d, k]} standard Gaussian
   * matrix {@code G}, then the sign correction {@code Q diag(sign(R_pp))}, which makes the
   * factorisation unique and the distribution Haar. The first {@code k} columns of a Haar matrix
   * depend only on the first {@code k} Gaussian columns, so the thin factorisation suffices.
   *
   * @param d the dimension, at least 1
   * @param k the number of columns, {@code 1 <= k <= d}
   * @param random advanced by {@code d k} Gaussian draws, column by column
   */
  public static double[][] haarColumnsTransposed(int d, int k, RandomGenerator random) {
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("need 1 <= k <= d, got k = " + k + ", d = " + d);
    }
    // a[p] is column p of G, overwritten by R above the diagonal and reflectors below.
    double[][] a = new double[k][d];
    for (double[] column : a) {
      for (int i = 0; i < d; i++) {
        column[i] = random.nextGaussian();
      }
    }
    double[][] reflectors = new double[k][];
    double[] diagonalSign = new double[k];
    for (int p = 0; p < k; p++) {
      double[] x = a[p];
      double norm = 0;
      for (int i = p; i < d; i++) {
        norm += x[i] * x[i];
      }
      norm = Math.sqrt(norm);
      // H x = alpha e_p with alpha = -sign(x_p) ||x||, the stable choice; R_pp = alpha.
      double alpha = x[p] >= 0 ? -norm : norm;
      double[] v = new double[d];
      for (int i = p; i < d; i++) {
        v[i] = x[i];
      }
      v[p] -= alpha;
      double vNorm = 0;
      for (int i = p; i < d; i++) {
        vNorm += v[i] * v[i];
      }
      vNorm = Math.sqrt(vNorm);
      if (vNorm > 0) {
        for (int i = p; i < d; i++) {
          v[i] /= vNorm;
        }
      }
      reflectors[p] = v;
      diagonalSign[p] = alpha >= 0 ? 1 : -1;
      for (int q = p + 1; q < k; q++) {
        reflect(v, a[q], p);
      }
    }
    // Q e_p = H_0 H_1 ... H_{k-1} e_p: apply the reflectors to e_p in reverse order.
    double[][] q = new double[k][d];
    for (int p = 0; p < k; p++) {
      double[] column = q[p];
      column[p] = 1;
      for (int r = Math.min(p, k - 1); r >= 0; r--) {
        reflect(reflectors[r], column, r);
      }
      if (diagonalSign[p] < 0) {
        for (int i = 0; i < d; i++) {
          column[i] = -column[i];
        }
      }
    }
    return q;
  }

  /** {@code x <- (I - 2 v v^T) x} for a unit {@code v} that is zero before index {@code from}. */
  private static void reflect(double[] v, double[] x, int from) {
    double dot = 0;
    for (int i = from; i < x.length; i++) {
      dot += v[i] * x[i];
    }
    dot *= 2;
    for (int i = from; i < x.length; i++) {
      x[i] -= dot * v[i];
    }
  }

  /** The transpose of a rectangular matrix, newly allocated. */
  static double[][] transpose(double[][] m) {
    double[][] t = new double[m[0].length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[i].length; j++) {
        t[j][i] = m[i][j];
      }
    }
    return t;
  }
}
