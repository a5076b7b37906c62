package org.certkit.train;

/** Receives progress of a {@link Trainer}; every method has an empty default. */
public interface TrainingListener {

  /** An epoch of {@code batches} steps begins. */
  default void epochStarted(int epoch, int batches) {}

  /**
   * A step finished.
   *
   * @param loss mean loss so far in the epoch
   * @param accuracy running clean training accuracy so far in the epoch
   * @param eps epsilon of the step
   */
  default void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {}

  /** An epoch finished, evaluation included. */
  default void epochFinished(EpochMetrics metrics) {}

  /** A listener that ignores everything. */
  TrainingListener NONE = new TrainingListener() {};
}
