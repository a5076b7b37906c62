package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Objects;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;

/**
 * PGD adversarial training (Madry et al., 2018): cross-entropy at the point PGD finds in the
 * epsilon ball, with epsilon along the run's smoothed ramp.
 *
 * <p>The attack uses the BatchNorm statistics of the clean batch (computed in an extra pass that
 * does not touch the running statistics), as CTBench does; the loss pass then records the training
 * statistics from the clean batch again, with gradients.
 *
 * @param attack the attack whose points are trained on
 */
public record PgdTraining(PgdAttack attack) implements TrainingMethod {

  /** Validates the attack. */
  public PgdTraining {
    Objects.requireNonNull(attack, "PGD training needs an attack");
  }

  /** The recipe's attack: 10 steps of a quarter of epsilon from one random start. */
  public static PgdTraining tenSteps() {
    return new PgdTraining(new PgdAttack(10, 0.25, 1, true));
  }

  @Override
  public String name() {
    return "pgd";
  }

  @Override
  public NDList prepare(StepInput step) {
    return new NDList(adversarial(attack, step));
  }

  /**
   * The point {@code attack} finds in the step's eps-ball, with the BatchNorm statistics of the
   * clean batch (an extra pass that leaves the running statistics alone).
   */
  static NDArray adversarial(PgdAttack attack, StepInput step) {
    BatchStatistics attackStats = BatchStatistics.trainingWithoutRunningUpdate();
    ConcreteDomain.forward(step.network(), step.x(), attackStats);
    return attack.attack(step.network(), step.x(), step.labels(), step.eps(), attackStats);
  }

  @Override
  public StepLoss loss(StepInput step, NDList adversarial) {
    NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    NDArray logits = ConcreteDomain.forward(step.network(), adversarial.get(0), step.stats());
    long robust = Losses.correctCount(logits, step.labels());
    return StepLoss.robust(Losses.crossEntropy(logits, step.labels()), clean, robust);
  }
}
