package org.certkit.train;

import ai.djl.ndarray.NDArray;

/**
 * A certified or adversarial training method: the loss of one batch at a given epsilon.
 *
 * <p>The {@link Trainer} calls {@link #prepare} outside any gradient recording (for work such as
 * attacks, which need gradients of their own), then {@link #loss} while recording gradients of the
 * parameters. The first concrete pass over the clean batch inside {@link #loss} records the
 * BatchNorm statistics of the step.
 */
public interface TrainingMethod {

  /** A short identifier, such as {@code ibp}. */
  String name();

  /**
   * Work done before gradients are recorded; the result is handed to {@link #loss}.
   *
   * @return an array owned by the step's manager, or null
   */
  default NDArray prepare(StepInput step) {
    return null;
  }

  /** The loss of the step, computed while parameter gradients are recorded. */
  StepLoss loss(StepInput step, NDArray prepared);
}
