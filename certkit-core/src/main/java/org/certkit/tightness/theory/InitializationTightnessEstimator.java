package org.certkit.tightness.theory;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Monte-Carlo estimator of the expected tightness of deep linear networks with i.i.d. Gaussian
 * weights, sampled as in section 3.3 of Mao et al.: each sample is a fresh network, both radii
 * are computed exactly with Theorem 3.2 for the unit input box, and the expectations are means
 * over networks and output dimensions. Compare with {@link InitializationTightness#tau(int)}
 * (Lemma 3.7), {@link InitializationTightness#g(int)} (Lemma B.2) and
 * {@link InitializationTightness#depthBound(int, int)} (Corollary 3.8).
 *
 * <p>Sample {@code s} draws its weights from the {@code s}-th generator split off
 * {@code new SplittableRandom(seed)}; samples run in parallel on the common fork-join pool and
 * the result does not depend on the number of threads.
 */
public final class InitializationTightnessEstimator {

  private InitializationTightnessEstimator() {}

  /** Estimates tightness, slackness and mean per-dimension tightness for one architecture. */
  public static TightnessEstimate estimate(GaussianDlnSampling sampling) {
    int n = sampling.samples();
    SplittableRandom root = new SplittableRandom(sampling.seed());
    SplittableRandom[] streams = new SplittableRandom[n];
    for (int s = 0; s < n; s++) {
      streams[s] = root.split();
    }
    double[] optimal = new double[n];
    double[] layerwise = new double[n];
    double[] ratios = new double[n];
    IntStream.range(0, n).parallel().forEach(s -> {
      DeepLinearNetwork network = DeepLinearNetwork.gaussian(sampling.dimensions(), streams[s]);
      double[] epsilon = new double[network.inputDimension()];
      Arrays.fill(epsilon, 1);
      GlobalTightness tightness = network.tightness(epsilon);
      optimal[s] = Arrays.stream(tightness.optimalRadius()).average().orElseThrow();
      layerwise[s] = Arrays.stream(tightness.layerwiseRadius()).average().orElseThrow();
      ratios[s] = tightness.meanOfRatios();
    });
    return new TightnessEstimate(MonteCarloEstimate.ratioOfMeans(optimal, layerwise),
        MonteCarloEstimate.ratioOfMeans(layerwise, optimal), MonteCarloEstimate.mean(ratios));
  }
}
