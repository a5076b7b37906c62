package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.internal.Constants;
import org.certkit.loss.Losses;

/**
 * Training with the expected blockwise bounds of Alsubaihi et al.: the loss is
 * {@code CE(f(x), y) + kappa CE(z, y)}, where the worst-case logits {@code z} take the expected
 * lower bound for the label and the expected upper bound for every other class (as Gowal et al.
 * do with interval bounds). The bounds use interval masks and one backward pass of the output
 * rows ({@link ExpectedBoundsDomain#intervalMasked}) and are centred at the clean logits, as in
 * the paper's published code. The paper trains at a fixed epsilon, so epsilon is held at the
 * target from the first step, without a ramp. These bounds are not sound: the method trains for robustness, it certifies nothing.
 *
 * <p>With a temperature {@code T} both cross-entropies see their logits divided by {@code T}
 * (Hinton et al. 2015), as the paper's grid does with {@code T = 1} and {@code 1/5}.
 *
 * @param kappa weight of the bound loss, at least 0
 * @param temperature the logit temperature {@code T}, positive; 1 leaves the losses as they are
 */
public record ExpectedBoundsTraining(double kappa, double temperature) implements TrainingMethod {

  /** Validates kappa and the temperature. */
  public ExpectedBoundsTraining {
    if (!(kappa >= 0)) {
      throw new IllegalArgumentException("kappa must be >= 0, got " + kappa);
    }
    IbpTraining.requirePositiveTemperature(temperature);
  }

  /** Expected-bound training at temperature 1. */
  public ExpectedBoundsTraining(double kappa) {
    this(kappa, 1);
  }

  @Override
  public String name() {
    return "expected-bounds";
  }

  @Override
  public EpsilonSchedule epsilonSchedule(double target, int rampStart, int rampEpochs) {
    return new EpsilonSchedule(target, 0, 0);
  }

  @Override
  public StepLoss loss(StepInput step, NDList prepared) {
    NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    NDArray cleanLoss = Losses.crossEntropy(IbpTraining.atTemperature(clean, temperature),
        step.labels());
    if (step.eps() <= 0 || kappa == 0) {
      return StepLoss.clean(cleanLoss, clean);
    }
    // Centred at the clean logits already computed: the radius does not depend on the centre,
    // so the masked affine centre spares a second forward pass.
    NDArray radius = ExpectedBoundsDomain.intervalMasked(step.network(),
        Box.linfBall(step.x(), step.eps()), step.stats(),
        ExpectedBoundsDomain.Centre.MASKED_AFFINE).radius();
    Box bounds = new Box(clean, radius);
    NDArray isLabel = step.labels().oneHot((int) clean.getShape().get(1))
        .toType(DataType.BOOLEAN, false);
    NDArray worstCase = NDArrays.where(isLabel, bounds.lower(), bounds.upper());
    NDArray robustLoss = Losses.crossEntropy(IbpTraining.atTemperature(worstCase, temperature),
        step.labels());
    NDArray loss = cleanLoss.add(robustLoss.mul(Constants.scalar(robustLoss, (float) kappa)));
    return StepLoss.robust(loss, clean, Losses.correctCount(worstCase, step.labels()));
  }
}
