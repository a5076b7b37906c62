package org.certkit.experiments;

import org.certkit.tightness.theory.MonteCarloEstimate;

/**
 * A family of randomly initialised networks whose expected tightness Figure 2 of Mao et al.
 * plots against width and depth. {@link InitializationTightnessExperiment} always includes deep
 * linear networks ({@link DeepLinearSeries}); further families (ReLU networks, say) implement
 * this interface and are passed to its constructor in {@link ExperimentRegistry}.
 */
public interface InitializationTightnessSeries {

  /**
   * The architecture of one point of the figure: {@code depth} linear layers with every internal
   * width equal to {@code width}.
   *
   * @param inputDimension {@code d_0}
   * @param width every internal width {@code d_1 = ... = d_{L-1}}
   * @param depth the number of linear layers {@code L >= 1}
   * @param outputDimension {@code d_L}
   */
  record NetworkShape(int inputDimension, int width, int depth, int outputDimension) {

    /** Checks that every size is positive. */
    public NetworkShape {
      if (inputDimension < 1 || width < 1 || depth < 1 || outputDimension < 1) {
        throw new IllegalArgumentException("network sizes must be positive: input "
            + inputDimension + ", width " + width + ", depth " + depth + ", output "
            + outputDimension);
      }
    }
  }

  /**
   * The legend label; also the prefix of the series' CSV columns ({@code NAME_tightness} and
   * {@code NAME_stderr}).
   */
  String name();

  /**
   * The expected tightness of networks of this family with the given shape at initialisation,
   * with its standard error.
   *
   * @param shape the architecture
   * @param samples how many random networks (or networks times inputs) to average
   * @param seed the seed of this point; equal arguments give equal values
   * @param context the experiment's context (manager, progress log)
   */
  MonteCarloEstimate tightness(NetworkShape shape, int samples, long seed,
      ExperimentContext context);
}
