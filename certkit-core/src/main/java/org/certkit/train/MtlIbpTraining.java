package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Objects;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.loss.Losses;
import org.certkit.spec.InputSet;

/**
 * MTL-IBP certified training (De Palma, Bunel, Dvijotham, Kumar, Stanforth and Lomuscio,
 * "Expressive losses for verified robustness via convex combinations", ICLR 2024): the robust
 * loss is {@code alpha} times the IBP loss on the eps-ball plus {@code 1 - alpha} times the
 * cross-entropy at the point PGD finds in it, mixed with the clean loss by {@code robustWeight},
 * with {@link IbpTraining}'s warm-up regulariser while epsilon ramps up. {@code alpha = 1} is IBP
 * training, {@code alpha = 0} adversarial training. The robust count of a step is the examples
 * IBP certifies.
 *
 * @param alpha weight of the IBP loss in the robust loss, in [0, 1]
 * @param attack the attack of the adversarial part
 * @param robustWeight weight of the robust loss against the clean loss, in [0, 1]
 * @param regularizerWeight lambda of the warm-up regulariser, at least 0
 */
public record MtlIbpTraining(double alpha, PgdAttack attack, double robustWeight,
    double regularizerWeight) implements TrainingMethod {

  /** Validates the parameters. */
  public MtlIbpTraining {
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new IllegalArgumentException("MTL-IBP's alpha must be in [0, 1], got " + alpha);
    }
    Objects.requireNonNull(attack, "MTL-IBP needs an attack");
    IbpTraining.requireWeights(robustWeight, regularizerWeight);
  }

  /**
   * CTBench's MNIST recipe at eps 0.1 with the given alpha (0.02 there): PGD with 10 steps of a
   * quarter of epsilon from one random start, robust weight 0.7, regulariser 0.5.
   */
  public static MtlIbpTraining withAlpha(double alpha) {
    return new MtlIbpTraining(alpha, new PgdAttack(10, 0.25, 1, true), 0.7, 0.5);
  }

  @Override
  public String name() {
    return "mtl-ibp";
  }

  @Override
  public NDList prepare(StepInput step) {
    return step.eps() > 0 && alpha < 1 ? new NDList(PgdTraining.adversarial(attack, step))
        : null;
  }

  @Override
  public StepLoss loss(StepInput step, NDList adversarial) {
    IbpTraining.Terms terms = IbpTraining.Terms.of(step, InputSet.LinfBall.pixels(step.x(),
        Math.max(step.eps(), IbpTraining.MIN_BOUND_EPS)), regularizerWeight, 1);
    NDArray robust = terms.robustLoss();
    if (robust != null && adversarial != null) {
      NDArray attacked = Losses.crossEntropy(
          ConcreteDomain.forward(step.network(), adversarial.get(0), step.stats()),
          step.labels());
      robust = robust.mul(Constants.scalar(robust, (float) alpha))
          .add(attacked.mul(Constants.scalar(attacked, (float) (1 - alpha))));
    }
    return terms.step(robust, robustWeight);
  }
}
