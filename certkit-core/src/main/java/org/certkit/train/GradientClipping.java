package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.certkit.internal.Constants;

/** The joint L2 norm of a set of gradients, and rescaling them to a maximum norm. */
public final class GradientClipping {

  private GradientClipping() {}

  /**
   * The joint L2 norm of {@code gradients}. Each array's sum of squares is taken in its own type
   * and, when that is not finite, again in float64: a float32 square overflows once an entry
   * exceeds about 1.8e19, which would report a finite gradient as infinite.
   *
   * @return the norm; NaN or infinity only when an entry is
   */
  public static double norm(List<NDArray> gradients) {
    double sumSquares = 0;
    for (NDArray g : gradients) {
      double squares;
      try (NDArray sq = g.square().sum()) {
        squares = sq.toType(DataType.FLOAT64, false).getDouble();
      }
      if (!Double.isFinite(squares)) {
        try (NDArray wide = g.toType(DataType.FLOAT64, false); NDArray sq = wide.square().sum()) {
          squares = sq.getDouble();
        }
      }
      sumSquares += squares;
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
        g.muli(Constants.scalar(g, scale));
      }
    }
  }
}
