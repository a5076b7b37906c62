package org.certkit.train;

import ai.djl.ndarray.NDArray;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;

/**
 * PGD adversarial training (Madry et al., 2018): cross-entropy at the point PGD finds in the
 * epsilon ball.
 *
 * <p>The attack uses the BatchNorm statistics of the clean batch (computed in an extra pass that
 * does not touch the running statistics), as CTBench does; the loss pass then records the training
 * statistics from the clean batch again, with gradients.
 */
public final class PgdTraining implements TrainingMethod {

  private final PgdAttack attack;

  /** Training against {@code attack}. */
  public PgdTraining(PgdAttack attack) {
    this.attack = attack;
  }

  /** The attack used. */
  public PgdAttack attack() {
    return attack;
  }

  @Override
  public String name() {
    return "pgd";
  }

  @Override
  public NDArray prepare(StepInput step) {
    BatchStatistics attackStats = BatchStatistics.trainingWithoutRunningUpdate();
    ConcreteDomain.forward(step.network(), step.x(), attackStats);
    return attack.attack(step.network(), step.x(), step.labels(), step.eps(), attackStats);
  }

  @Override
  public StepLoss loss(StepInput step, NDArray adversarial) {
    NDArray clean = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    NDArray logits = ConcreteDomain.forward(step.network(), adversarial, step.stats());
    long robust = Losses.correctCount(logits, step.labels());
    return new StepLoss(Losses.crossEntropy(logits, step.labels()), clean, robust);
  }
}
