package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.OptionalLong;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.internal.Constants;
import org.certkit.loss.Losses;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * CROWN-IBP certified training (Zhang et al., "Towards stable and efficient training of verifiably
 * robust neural networks", ICLR 2020): the robust cross-entropy of margin lower bounds that mix
 * CROWN-IBP and IBP, {@code beta m_CROWN-IBP + (1 - beta) m_IBP}, with {@code beta} falling from 1
 * to 0 along the epsilon ramp ({@code beta = 1 - eps / targetEps}), mixed with the clean
 * cross-entropy by {@code robustWeight}. Both bounds merge the last layer into the margins; the
 * CROWN-IBP bounds go back from the margins through the network with interval pre-activation
 * bounds. After the ramp {@code beta} is 0 and a step costs what an IBP step costs. The step's
 * training-mode BatchNorm statistics come from the clean batch.
 *
 * @param robustWeight weight of the robust loss in [0, 1]; 1 is pure CROWN-IBP training
 */
public record CrownIbpTraining(double robustWeight) implements TrainingMethod {

  /** Validates the weight. */
  public CrownIbpTraining {
    if (!(robustWeight >= 0 && robustWeight <= 1)) {
      throw new IllegalArgumentException("robust weight must be in [0, 1], got " + robustWeight);
    }
  }

  @Override
  public String name() {
    return "crown-ibp";
  }

  /** The weight of the CROWN-IBP bounds at {@code eps} of {@code target}. */
  static double beta(double eps, double target) {
    return target > 0 ? Math.max(0, 1 - eps / target) : 0;
  }

  @Override
  public StepLoss loss(StepInput step, NDList prepared) {
    NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    NDArray cleanLoss = Losses.crossEntropy(clean, step.labels());
    if (step.eps() <= 0) {
      return StepLoss.clean(cleanLoss, clean);
    }
    InputSet ball = InputSet.LinfBall.pixels(step.x(), step.eps());
    Specification margins = new Specification.Margins(step.labels());
    NDArray marginLower = new IntervalDomain(IntervalDomain.Rounding.NEAREST)
        .lowerBounds(step.network(), ball, margins, step.stats());
    double beta = beta(step.eps(), step.targetEps());
    if (beta > 0) {
      NDArray linear = new LinearBoundDomain(LinearBoundDomain.Intermediate.INTERVAL,
          IntervalDomain.Rounding.NEAREST).lowerBounds(step.network(), ball, margins,
          step.stats());
      marginLower = linear.mul(Constants.scalar(linear, beta))
          .add(marginLower.mul(Constants.scalar(marginLower, 1 - beta)));
    }
    NDArray robustLoss = Losses.robustCrossEntropy(marginLower, step.labels());
    NDArray loss = IbpTraining.mixed(cleanLoss, robustLoss, robustWeight);
    return new StepLoss(loss, clean, OptionalLong.of(IbpTraining.certifiedCount(marginLower)));
  }
}
