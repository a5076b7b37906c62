package org.certkit.tightness.theory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Monte-Carlo estimator of the box reconstruction experiment of Theorem 3.10 of Mao et al.
 * (Figures 3 and 8): per sample, {@code U} uniform on the orthogonal group {@code O(d)} (QR of a
 * Gaussian matrix with sign correction, {@link RandomMatrices#haarColumnsTransposed}), and for
 * each bottleneck width {@code k} the two-layer deep linear network {@code U_k U_k^T}
 * ({@code W_1 = U_k^T}, {@code W_2 = U_k}); the unit input box is propagated layer-wise
 * ({@code |U_k| |U_k^T| 1}) and optimally ({@code |U_k U_k^T| 1}) with Theorem 3.2, and the
 * radii are averaged over output coordinates and samples.
 *
 * <p>Sample {@code s} draws from the {@code s}-th generator split off
 * {@code new SplittableRandom(seed)}; samples run in parallel on the common fork-join pool and
 * the result does not depend on the number of threads.
 */
public final class BoxReconstructionEstimator {

  private BoxReconstructionEstimator() {}

  /** One estimate per bottleneck width, in the order of {@code sampling.bottleneckWidths()}. */
  public static List<ReconstructionEstimate> estimate(ReconstructionSampling sampling) {
    return estimate(sampling, done -> { });
  }

  /**
   * As {@link #estimate(ReconstructionSampling)}, telling {@code progress} the number of samples
   * finished after each one: the counts rise by one from 1 to {@code sampling.samples()}, one call
   * at a time, from whichever thread finished the sample.
   */
  public static List<ReconstructionEstimate> estimate(ReconstructionSampling sampling,
      IntConsumer progress) {
    int d = sampling.dimension();
    int n = sampling.samples();
    int m = sampling.observedCoordinates();
    List<Integer> widths = sampling.bottleneckWidths();
    int maxWidth = widths.get(widths.size() - 1);
    SplittableRandom root = new SplittableRandom(sampling.seed());
    SplittableRandom[] streams = new SplittableRandom[n];
    for (int s = 0; s < n; s++) {
      streams[s] = root.split();
    }
    double[][] layerwise = new double[widths.size()][n];
    double[][] optimal = new double[widths.size()][n];
    double[] ones = new double[d];
    Arrays.fill(ones, 1);
    int[] finished = {0};
    IntStream.range(0, n).parallel().forEach(s -> {
      double[][] transposed = RandomMatrices.haarColumnsTransposed(d, maxWidth, streams[s]);
      for (int w = 0; w < widths.size(); w++) {
        double[][] embedding = Arrays.copyOf(transposed, widths.get(w));
        double[][] reconstruction = RandomMatrices.transpose(embedding);
        DeepLinearNetwork network = new DeepLinearNetwork(List.of(embedding, reconstruction));
        DeepLinearNetwork observed = new DeepLinearNetwork(
            List.of(embedding, Arrays.copyOf(reconstruction, m)));
        layerwise[w][s] = mean(network.layerwiseRadius(ones));
        optimal[w][s] = mean(observed.optimalRadius(ones));
      }
      synchronized (finished) {
        progress.accept(++finished[0]);
      }
    });
    List<ReconstructionEstimate> estimates = new ArrayList<>(widths.size());
    for (int w = 0; w < widths.size(); w++) {
      estimates.add(new ReconstructionEstimate(d, widths.get(w),
          MonteCarloEstimate.mean(layerwise[w]), MonteCarloEstimate.mean(optimal[w])));
    }
    return estimates;
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }
}
