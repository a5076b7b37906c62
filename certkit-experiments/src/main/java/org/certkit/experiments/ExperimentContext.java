package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What an experiment may use while it runs: where its outputs go, where datasets live, the seed
 * from which it derives every random stream, a consumer of progress messages, and a DJL manager
 * for experiments that compute with the engine (arrays they create there are theirs to close).
 *
 * @param outputDirectory the directory of this experiment's files ({@code OUT/ID})
 * @param dataRoot the dataset root, for experiments that need data
 * @param seed the root seed; equal seeds and parameters give equal results
 * @param log receives one human-readable progress line at a time
 * @param manager the parent manager for DJL arrays, owned by the caller
 * @param work receives the count of finished units of long work (trained networks, points of
 *     a sweep, images), for a progress bar with rate and time left
 */
public record ExperimentContext(Path outputDirectory, Path dataRoot, long seed,
    Consumer<String> log, NDManager manager, Work work) {

  /**
   * Counts of finished units of an experiment's long work, phase by phase: a phase reports
   * {@code done = 0} before its first unit and the new count after each unit, with one unit
   * name and total throughout, up to {@code done = total}; an experiment with several phases
   * (training epochs, then bounded images) starts the next one after the last reached its
   * total.
   */
  @FunctionalInterface
  public interface Work {
    /** {@code done} of {@code total} units named {@code unit} are finished. */
    void finished(String unit, int done, int total);
  }

  /** A context whose work counts go nowhere. */
  public ExperimentContext(Path outputDirectory, Path dataRoot, long seed, Consumer<String> log,
      NDManager manager) {
    this(outputDirectory, dataRoot, seed, log, manager, (unit, done, total) -> { });
  }

  /** Checks that nothing is missing. */
  public ExperimentContext {
    Objects.requireNonNull(outputDirectory, "outputDirectory");
    Objects.requireNonNull(dataRoot, "dataRoot");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(manager, "manager");
    Objects.requireNonNull(work, "work");
  }

  /** Sends a progress message to {@link #log()}. */
  public void progress(String message) {
    log.accept(message);
  }
}
