package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.List;
import org.certkit.domain.Box;

/**
 * The warm-up regularisers of Shi et al. (2021), computed on the interval pre-activation boxes of
 * every ReLU during the epsilon ramp.
 *
 * <p>With tolerance {@code tau = 0.5}, input radius {@code r0} (mean half-width of the input box)
 * and, per ReLU layer, centres {@code c} and mean radius {@code r}:
 *
 * <ul>
 *   <li>tightness term {@code relu(tau - r0 / r) / tau}, penalising boxes that grow by more than
 *       {@code 1 / tau} relative to the input;
 *   <li>ReLU balance term {@code (relu(tau - meanRatio) + relu(tau - varRatio)) / tau} with the
 *       ratios of mean and variance of the centres of active ({@code l > 0}) and inactive
 *       ({@code u < 0}) units, each folded to {@code min(x, 1/x)}; non-finite terms are dropped.
 * </ul>
 *
 * Both are averaged over ReLU layers and summed; the trainer weighs the sum by
 * {@code lambda (1 - eps / epsTarget)}.
 */
public final class WarmupRegularizer {

  /** The reference tolerance. */
  public static final float TOLERANCE = 0.5f;

  private WarmupRegularizer() {}

  /**
   * The unweighted regulariser, a scalar.
   *
   * @param input the input box of the step
   * @param preActivations the boxes at the inputs of the ReLUs, in order
   */
  public static NDArray of(Box input, List<Box> preActivations) {
    NDArray inputRadius = input.radius().mean();
    NDArray total = inputRadius.getManager().zeros(new ai.djl.ndarray.types.Shape());
    if (preActivations.isEmpty()) {
      return total;
    }
    for (Box box : preActivations) {
      NDArray c = box.centre();
      NDArray radius = box.radius().mean();
      total = total.add(Activation.relu(inputRadius.div(radius.maximum(1e-12f)).neg()
          .add(TOLERANCE)).div(TOLERANCE));
      NDArray lower = c.sub(box.radius());
      NDArray upper = c.add(box.radius());
      NDArray active = lower.gt(0).toType(c.getDataType(), false);
      NDArray inactive = upper.lt(0).toType(c.getDataType(), false);
      NDArray meanActive = c.mul(active).mean();
      NDArray meanInactive = c.mul(inactive).mean().neg();
      NDArray deviation = c.sub(c.mean()).square();
      NDArray varActive = deviation.mul(active).sum();
      NDArray varInactive = deviation.mul(inactive).sum();
      // A ratio with an empty or constant side is undefined; its term is dropped, as in the
      // reference code. Testing the parts (not the folded value) also keeps NaN out of the
      // gradient, which min(r, 1/r) of an infinite r would produce.
      double[] parts = NDArrays.stack(new NDList(meanActive, meanInactive, varActive,
          varInactive)).stopGradient().toType(DataType.FLOAT64, false).toDoubleArray();
      if (positive(parts[0]) && positive(parts[1])) {
        total = total.add(Activation.relu(folded(meanActive.div(meanInactive)).neg()
            .add(TOLERANCE)).div(TOLERANCE));
      }
      if (positive(parts[2]) && positive(parts[3])) {
        total = total.add(Activation.relu(folded(varActive.div(varInactive)).neg()
            .add(TOLERANCE)).div(TOLERANCE));
      }
    }
    return total.div(preActivations.size());
  }

  private static NDArray folded(NDArray ratio) {
    return ratio.minimum(ratio.pow(-1));
  }

  private static boolean positive(double value) {
    return value > 0 && Double.isFinite(value);
  }
}
