package org.certkit.experiments;

import java.util.Map;

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
   * The paper's values for headline keys this experiment reports at {@code scale}, keyed like
   * the headline; keys the paper gives no comparable number for at that scale (another dataset,
   * say) are absent. Booleans are claims: 1 for true, 0 for false. {@code summary.json} and
   * {@code summary.md} put them beside the measured values.
   */
  default Map<String, PaperValue> paperValues(Scale scale) {
    return Map.of();
  }

  /**
   * Runs the experiment with the parameters of {@code scale}.
   *
   * @param scale how large to run
   * @param context output directory, seed, progress log and manager
   */
  ExperimentResult run(Scale scale, ExperimentContext context);
}
