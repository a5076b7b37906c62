package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.OptionalLong;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.SpecificationBounds;
import org.certkit.internal.Constants;
import org.certkit.loss.Losses;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * IBP certified training with the recipe of Shi et al. (2021): the robust cross-entropy of the
 * interval margin bounds (last layer elided), mixed with the clean cross-entropy by
 * {@code robustWeight}, plus the {@link WarmupRegularizer} weighted by
 * {@code lambda (1 - eps / targetEps)} while epsilon ramps up along the run's smoothed ramp.
 *
 * <p>While the scheduled epsilon is 0 the bounds are taken at {@code 1e-6} so that the regulariser
 * is defined, and the loss is the clean cross-entropy. The step's training-mode BatchNorm
 * statistics come from the clean batch (not detached), as in the reference code.
 *
 * <p>With a temperature {@code T} the logits are divided by {@code T} before the clean loss and
 * the margin bounds alike before the robust loss (Hinton et al. 2015; the second paper's grid
 * has {@code T = 1} and {@code 1/5}); the bounds themselves, the regulariser and the robust count
 * do not change.
 *
 * @param robustWeight weight of the robust loss in [0, 1]; 1 is pure IBP training
 * @param regularizerWeight lambda of the warm-up regulariser, 0.5 in the reference recipe
 * @param temperature the logit temperature {@code T}, positive; 1 leaves the losses as they are
 */
public record IbpTraining(double robustWeight, double regularizerWeight, double temperature)
    implements TrainingMethod {

  /** Smallest epsilon at which bounds are computed, so that the regulariser is defined. */
  static final double MIN_BOUND_EPS = 1e-6;

  /** Validates the weights. */
  public IbpTraining {
    requireWeights(robustWeight, regularizerWeight);
    requirePositiveTemperature(temperature);
  }

  /** Rejects a robust weight outside [0, 1] or a negative regulariser weight. */
  static void requireWeights(double robustWeight, double regularizerWeight) {
    if (!(robustWeight >= 0 && robustWeight <= 1)) {
      throw new IllegalArgumentException("robust weight must be in [0, 1], got " + robustWeight);
    }
    if (!(regularizerWeight >= 0)) {
      throw new IllegalArgumentException("regulariser weight must be >= 0, got "
          + regularizerWeight);
    }
  }

  /** IBP training at temperature 1. */
  public IbpTraining(double robustWeight, double regularizerWeight) {
    this(robustWeight, regularizerWeight, 1);
  }

  /** The reference recipe: pure IBP loss, regulariser weight 0.5, temperature 1. */
  public static IbpTraining shi() {
    return new IbpTraining(1.0, 0.5);
  }

  /** Rejects a temperature that is not positive and finite. */
  static void requirePositiveTemperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("the logit temperature must be positive and finite, got "
          + temperature);
    }
  }

  /** {@code logits / temperature}; the logits themselves at 1. */
  static NDArray atTemperature(NDArray logits, double temperature) {
    return temperature == 1 ? logits
        : logits.div(Constants.scalar(logits, (float) temperature));
  }

  @Override
  public String name() {
    return "ibp";
  }

  @Override
  public StepLoss loss(StepInput step, NDList prepared) {
    Terms terms = Terms.of(step, InputSet.LinfBall.pixels(step.x(),
        Math.max(step.eps(), MIN_BOUND_EPS)), regularizerWeight, temperature);
    return terms.step(terms.robustLoss(), robustWeight);
  }

  /**
   * The parts of an IBP step over a region (the eps-ball, or SABR's small box in it), which the
   * IBP-based methods combine.
   *
   * @param clean the clean logits (their pass records the step's BatchNorm statistics)
   * @param cleanLoss the clean cross-entropy
   * @param robustLoss the robust cross-entropy of the region's interval margin bounds; null while
   *     epsilon is 0
   * @param regularizer the weighted warm-up regulariser on those bounds; null when it does not
   *     apply (after the ramp, or with weight 0)
   * @param certified examples whose margins the bounds prove positive; empty while epsilon is 0
   */
  record Terms(NDArray clean, NDArray cleanLoss, NDArray robustLoss, NDArray regularizer,
      OptionalLong certified) {

    /**
     * The terms over {@code region}, both cross-entropies of logits and margins divided by
     * {@code temperature}; the bounds are not computed while epsilon is 0 and no regulariser
     * applies.
     */
    static Terms of(StepInput step, InputSet region, double regularizerWeight,
        double temperature) {
      NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
      NDArray cleanLoss = Losses.crossEntropy(atTemperature(clean, temperature), step.labels());
      boolean regularised = step.eps() < step.targetEps() && regularizerWeight > 0;
      if (step.eps() <= 0 && !regularised) {
        return new Terms(clean, cleanLoss, null, null, OptionalLong.empty());
      }
      SpecificationBounds bounds = new IntervalDomain(IntervalDomain.Rounding.NEAREST).bounds(
          step.network(), region, new Specification.Margins(step.labels()), step.stats());
      NDArray marginLower = bounds.lower();
      NDArray robustLoss = null;
      OptionalLong certified = OptionalLong.empty();
      if (step.eps() > 0) {
        robustLoss = Losses.robustCrossEntropy(atTemperature(marginLower, temperature),
            step.labels());
        certified = OptionalLong.of(certifiedCount(marginLower));
      }
      NDArray regularizer = null;
      if (regularised) {
        double weight = regularizerWeight * (1 - step.eps() / step.targetEps());
        NDArray r = WarmupRegularizer.of(bounds.boxes().input(),
            bounds.boxes().reluInputs(step.network()));
        regularizer = r.mul(Constants.scalar(r, (float) weight));
      }
      return new Terms(clean, cleanLoss, robustLoss, regularizer, certified);
    }

    /**
     * The step whose loss is {@code robust} mixed with the clean loss by {@code robustWeight}
     * (the clean loss alone when {@code robust} is null), plus the regulariser.
     */
    StepLoss step(NDArray robust, double robustWeight) {
      NDArray loss = robust == null ? cleanLoss : mixed(cleanLoss, robust, robustWeight);
      if (regularizer != null) {
        loss = loss.add(regularizer);
      }
      return new StepLoss(loss, clean, certified);
    }
  }

  /** {@code (1 - robustWeight) clean + robustWeight robust}; {@code robust} itself at 1. */
  static NDArray mixed(NDArray clean, NDArray robust, double robustWeight) {
    return robustWeight == 1 ? robust
        : clean.mul(Constants.scalar(clean, (float) (1 - robustWeight)))
            .add(robust.mul(Constants.scalar(robust, (float) robustWeight)));
  }

  /** Examples whose every non-target margin lower bound is positive. */
  static long certifiedCount(NDArray marginLower) {
    long classes = marginLower.getShape().get(1);
    return marginLower.stopGradient().gt(0).sum(new int[] {1}).eq(classes - 1).sum().getLong();
  }
}
