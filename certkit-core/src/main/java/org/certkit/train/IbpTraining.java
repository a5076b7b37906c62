package org.certkit.train;

import ai.djl.ndarray.NDArray;
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
 * @param robustWeight weight of the robust loss in [0, 1]; 1 is pure IBP training
 * @param regularizerWeight lambda of the warm-up regulariser, 0.5 in the reference recipe
 */
public record IbpTraining(double robustWeight, double regularizerWeight)
    implements TrainingMethod {

  /** Smallest epsilon at which bounds are computed, so that the regulariser is defined. */
  static final double MIN_BOUND_EPS = 1e-6;

  /** Validates the weights. */
  public IbpTraining {
    if (!(robustWeight >= 0 && robustWeight <= 1)) {
      throw new IllegalArgumentException("robust weight must be in [0, 1], got " + robustWeight);
    }
    if (!(regularizerWeight >= 0)) {
      throw new IllegalArgumentException("regulariser weight must be >= 0, got "
          + regularizerWeight);
    }
  }

  /** The reference recipe: pure IBP loss, regulariser weight 0.5. */
  public static IbpTraining shi() {
    return new IbpTraining(1.0, 0.5);
  }

  @Override
  public String name() {
    return "ibp";
  }

  @Override
  public EpsilonSchedule epsilonSchedule(double target, int rampStart, int rampEpochs) {
    return new EpsilonSchedule(target, rampStart, rampEpochs);
  }

  @Override
  public StepLoss loss(StepInput step, NDArray prepared) {
    NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    NDArray cleanLoss = Losses.crossEntropy(clean, step.labels());
    boolean ramping = step.eps() < step.targetEps();
    if (step.eps() <= 0 && (!ramping || regularizerWeight == 0)) {
      return StepLoss.clean(cleanLoss, clean);
    }
    double boundEps = Math.max(step.eps(), MIN_BOUND_EPS);
    SpecificationBounds bounds = new IntervalDomain(IntervalDomain.Rounding.NEAREST).bounds(
        step.network(), InputSet.LinfBall.pixels(step.x(), boundEps),
        new Specification.Margins(step.labels()), step.stats());
    NDArray marginLower = bounds.lower();
    NDArray loss;
    OptionalLong robust = OptionalLong.empty();
    if (step.eps() > 0) {
      NDArray robustLoss = Losses.robustCrossEntropy(marginLower, step.labels());
      loss = robustWeight == 1 ? robustLoss
          : cleanLoss.mul(Constants.scalar(cleanLoss, (float) (1 - robustWeight)))
              .add(robustLoss.mul(Constants.scalar(robustLoss, (float) robustWeight)));
      robust = OptionalLong.of(certifiedCount(marginLower));
    } else {
      loss = cleanLoss;
    }
    if (ramping && regularizerWeight > 0) {
      double weight = regularizerWeight * (1 - step.eps() / step.targetEps());
      NDArray regularizer = WarmupRegularizer.of(bounds.boxes().input(),
          bounds.boxes().reluInputs(step.network()));
      loss = loss.add(regularizer.mul(Constants.scalar(regularizer, (float) weight)));
    }
    return new StepLoss(loss, clean, robust);
  }

  /** Examples whose every non-target margin lower bound is positive. */
  static long certifiedCount(NDArray marginLower) {
    long classes = marginLower.getShape().get(1);
    return marginLower.stopGradient().gt(0).sum(new int[] {1}).eq(classes - 1).sum().getLong();
  }
}
