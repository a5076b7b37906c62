package org.certkit.experiments;

import org.certkit.tightness.theory.GaussianDlnSampling;
import org.certkit.tightness.theory.InitializationTightnessEstimator;
import org.certkit.tightness.theory.MonteCarloEstimate;

/**
 * Deep linear networks with i.i.d. Gaussian weights as a series of Figure 2: the Monte-Carlo
 * expected tightness (ratio of mean optimal to mean layer-wise radius, Definition 3.5 and
 * section 3.3 of Mao et al.) of {@link InitializationTightnessEstimator}.
 */
public final class DeepLinearSeries implements InitializationTightnessSeries {

  /** The series name, {@code dln}. */
  public static final String NAME = "dln";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public MonteCarloEstimate tightness(NetworkShape shape, int samples, long seed,
      ExperimentContext context) {
    return InitializationTightnessEstimator.estimate(GaussianDlnSampling.ofDepth(
        shape.inputDimension(), shape.width(), shape.depth(), shape.outputDimension(), samples,
        seed)).expectedTightness();
  }
}
