package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/** The joint L2 norm of a set of gradients, and rescaling them to a maximum norm. */
public final class GradientClipping {

  private GradientClipping() {}

  /**
   * The joint L2 norm of {@code gradients}, with squares and sums in float64: a float32 sum of
   * squares overflows once an entry exceeds about 1.8e19, which would report a finite gradient as
   * infinite.
   *
   * @return the norm; NaN or infinity when an entry is
   */
  public static double norm(List<NDArray> gradients) {
    double sumSquares = 0;
    for (NDArray g : gradients) {
      try (NDArray wide = g.toType(DataType.FLOAT64, false); NDArray sq = wide.square().sum()) {
        sumSquares += sq.getDouble();
      }
    }
    return Math.sqrt(sumSquares);
  }

  /**
   * Scales {@code gradients} in place so that their joint norm is at most {@code maxNorm}, as
   * PyTorch's {@code clip_grad_norm_}.
   *
   * @param norm their joint norm, from {@link #norm}, finite
   */
  public static void clip(List<NDArray> gradients, double norm, double maxNorm) {
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (NDArray g : gradients) {
        g.muli(scale);
      }
    }
  }
}
