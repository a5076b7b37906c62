package org.certkit.train;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** Rescales a set of gradients so that their joint L2 norm is at most a threshold. */
public final class GradientClipping {

  private GradientClipping() {}

  /**
   * Clips {@code gradients} in place to joint L2 norm {@code maxNorm} (as PyTorch's
   * {@code clip_grad_norm_}).
   *
   * @return the norm before clipping
   * @throws IllegalStateException when a gradient holds NaN or infinity
   */
  public static double clipToNorm(List<NDArray> gradients, double maxNorm) {
    double sumSquares = 0;
    for (NDArray g : gradients) {
      try (NDArray sq = g.square().sum()) {
        sumSquares += sq.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
      }
    }
    double norm = Math.sqrt(sumSquares);
    if (!Double.isFinite(norm)) {
      throw new IllegalStateException("non-finite gradient (L2 norm " + norm + ")");
    }
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (NDArray g : gradients) {
        g.muli(scale);
      }
    }
    return norm;
  }
}
