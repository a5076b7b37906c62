package org.certkit.train;

import java.io.IOException;

/**
 * Receives progress of a {@link Trainer}; every method has an empty default. Listeners are called
 * in the order they were attached.
 */
public interface TrainingListener {

  /** An epoch of {@code batches} steps begins. */
  default void epochStarted(int epoch, int batches) {}

  /** A step begins; its phases follow, then {@link #stepFinished} or {@link #stepSkipped}. */
  default void stepStarted(int epoch, int batch) {}

  /** A phase of the current step ended. */
  default void phaseFinished(StepPhase phase) {}

  /**
   * A step finished.
   *
   * @param loss mean loss so far in the epoch
   * @param accuracy running clean training accuracy so far in the epoch
   * @param eps epsilon of the step
   */
  default void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {}

  /**
   * A step was skipped without an update because its loss or gradient was not finite.
   *
   * @param reason what was not finite, such as {@code gradient L2 norm NaN}
   * @param inARow skipped steps in a row, this one included
   */
  default void stepSkipped(int epoch, int batch, String reason, int inARow) {}

  /** An epoch finished, evaluation included; {@link EpochEnd#metrics()} holds its metrics. */
  default void epochFinished(EpochEnd end) throws IOException {}
}
