package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.List;
import org.certkit.domain.Box;
import org.certkit.internal.Constants;

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
 *       ({@code u < 0}) units, each folded to {@code min(a, b) / max(a, b)}; undefined terms
 *       (an empty or constant side) are dropped.
 * </ul>
 *
 * Both are averaged over ReLU layers and summed; the trainer weighs the sum by
 * {@code lambda (1 - eps / epsTarget)}.
 */
public final class WarmupRegularizer {

  /** The reference tolerance. */
  public static final float TOLERANCE = 0.5f;

  /** Sides of a ratio that are both below this carry no signal, only rounding. */
  static final double NEGLIGIBLE = 1e-30;

  private WarmupRegularizer() {}

  /**
   * The unweighted regulariser, a scalar.
   *
   * @param input the input box of the step
   * @param preActivations the boxes at the inputs of the ReLUs, in order
   */
  public static NDArray of(Box input, List<Box> preActivations) {
    NDArray inputRadius = input.radius().mean();
    NDArray total = inputRadius.getManager().zeros(new Shape(), inputRadius.getDataType());
    if (preActivations.isEmpty()) {
      return total;
    }
    for (Box box : preActivations) {
      NDArray c = box.centre();
      NDArray r = box.radius();
      NDArray radius = r.mean();
      NDArray floor = Constants.scalar(radius, 1e-12f);
      total = total.add(Activation.relu(inputRadius.div(radius.maximum(floor)).neg()
          .add(TOLERANCE)).div(Constants.scalar(radius, TOLERANCE)));
      NDArray active = c.sub(r).gt(0).toType(c.getDataType(), false);
      NDArray inactive = c.add(r).lt(0).toType(c.getDataType(), false);
      NDArray meanActive = c.mul(active).mean();
      NDArray meanInactive = c.mul(inactive).mean().neg();
      NDArray deviation = c.sub(c.mean()).square();
      NDArray varActive = deviation.mul(active).sum();
      NDArray varInactive = deviation.mul(inactive).sum();
      total = total.add(balanceTerm(meanActive, meanInactive))
          .add(balanceTerm(varActive, varInactive));
    }
    return total.div(Constants.scalar(total, preActivations.size()));
  }

  /**
   * {@code relu(tau - min(a, b) / max(a, b)) / tau}, or 0 when the ratio is undefined: a side
   * that is empty, not positive or not finite (dropped, as in the reference code), or both sides
   * below {@link #NEGLIGIBLE} (rounding noise, not a signal). Dividing the smaller side by the larger keeps every partial
   * derivative bounded by {@code 1 / max(a, b)}; folding {@code min(x, 1 / x)} instead multiplies
   * an exact zero by the infinite derivative of {@code 1 / x} at a tiny {@code x}, which is NaN.
   */
  private static NDArray balanceTerm(NDArray a, NDArray b) {
    double[] sides = NDArrays.stack(new NDList(a, b)).stopGradient()
        .toType(DataType.FLOAT64, false).toDoubleArray();
    if (!positive(sides[0]) || !positive(sides[1]) || Math.max(sides[0], sides[1]) < NEGLIGIBLE) {
      return a.getManager().zeros(new Shape(), a.getDataType());
    }
    NDArray ratio = a.minimum(b).div(a.maximum(b));
    return Activation.relu(ratio.neg().add(TOLERANCE)).div(Constants.scalar(ratio, TOLERANCE));
  }

  private static boolean positive(double value) {
    return value > 0 && Double.isFinite(value);
  }
}
