package org.certkit.experiments;

/**
 * A reproduction of one figure or table of a paper. An experiment keeps its parameters for each
 * {@link Scale} as data (a record per experiment), computes a {@link ExperimentResult}, and
 * leaves writing to {@link ExperimentOutput}, which puts {@code result.csv}, {@code plot.png},
 * {@code summary.json} and {@code summary.md} in the context's output directory.
 */
public interface Experiment {

  /** The stable identifier used on the command line, such as {@code s1-fig2}. */
  String id();

  /** A one-line title. */
  String title();

  /** The figure or table reproduced, and the paper. */
  String paperReference();

  /**
   * Runs the experiment with the parameters of {@code scale}.
   *
   * @param scale how large to run
   * @param context output directory, seed, progress log and manager
   */
  ExperimentResult run(Scale scale, ExperimentContext context);
}
