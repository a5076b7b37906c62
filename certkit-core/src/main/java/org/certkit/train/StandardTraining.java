package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;

/**
 * Standard (nominal) training: cross-entropy on the clean batch. Epsilon is ignored, so it is held
 * at the target from the first step (no ramp).
 */
public record StandardTraining() implements TrainingMethod {

  @Override
  public String name() {
    return "standard";
  }

  @Override
  public boolean singleConcretePass() {
    return true;
  }

  @Override
  public EpsilonSchedule epsilonSchedule(double target, int rampStart, int rampEpochs) {
    return new EpsilonSchedule(target, 0, 0);
  }

  @Override
  public StepLoss loss(StepInput step, NDList prepared) {
    NDArray logits = ConcreteDomain.forward(step.network(), step.x(), step.stats());
    return StepLoss.clean(Losses.crossEntropy(logits, step.labels()), logits);
  }
}
