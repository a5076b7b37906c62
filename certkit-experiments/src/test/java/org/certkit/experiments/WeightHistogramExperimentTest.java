package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.certkit.data.ImageDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightHistogramExperimentTest {

  /**
   * Two short runs of dm-medium on synthetic MNIST-shaped images: 6 layers per run, sane
   * statistics, and a strong L2 decay shrinks the spread of every layer's weights.
   */
  @Test
  void tinyRunWritesHistogramsAndDecayShrinksWeights(@TempDir Path dir) throws Exception {
    WeightHistogramExperiment experiment = new WeightHistogramExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      DatasetTraining.Splits data = new DatasetTraining.Splits(images(512, 1), images(64, 2));
      ExperimentResult result = experiment.run(new WeightHistogramExperiment.Parameters(
          "dm-medium", 2, 0, 1.0, 6, 12), data, context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "regularisation", "weight_decay", "layer", "network_layer_index", "layer_type",
          "weights", "mean", "std", "skewness", "excess_kurtosis", "ks_distance",
          "fraction_beyond_3_std", "clean_accuracy")).get("headline");
      assertTrue(headline.get("check_l2_shrinks_std_every_layer").asBoolean());
      assertEquals(12, result.table().rows().size());
      assertEquals(6, result.figure().panels().size());
      for (List<Object> row : result.table().rows()) {
        double std = ((Number) row.get(7)).doubleValue();
        double ks = ((Number) row.get(10)).doubleValue();
        assertTrue(std > 0 && ks > 0 && ks < 1, row.toString());
      }
      // First layer: 32 filters of 3x3 on one channel.
      assertEquals(288, ((Number) result.table().rows().getFirst().get(5)).intValue());
    }
  }

  /**
   * The statistics against known distributions: Gaussian (skewness and excess kurtosis near 0,
   * small KS distance), uniform (kurtosis -1.2) and Laplace (kurtosis 3); the normal distribution
   * function at known points.
   */
  @Test
  void statisticsMatchKnownDistributions() {
    Random random = new Random(3);
    int n = 40_000;
    double[] gaussian = new double[n];
    double[] uniform = new double[n];
    double[] laplace = new double[n];
    for (int i = 0; i < n; i++) {
      gaussian[i] = 0.5 + 2 * random.nextGaussian();
      uniform[i] = random.nextDouble();
      double u = random.nextDouble() - 0.5;
      laplace[i] = -Math.signum(u) * Math.log(1 - 2 * Math.abs(u));
    }
    WeightStatistics g = WeightStatistics.of(gaussian);
    assertEquals(0.5, g.mean(), 0.05);
    assertEquals(2, g.std(), 0.05);
    assertEquals(0, g.skewness(), 0.05);
    assertEquals(0, g.excessKurtosis(), 0.1);
    assertTrue(g.ksDistance() < 0.01, "Gaussian KS " + g.ksDistance());
    WeightStatistics u = WeightStatistics.of(uniform);
    assertEquals(-1.2, u.excessKurtosis(), 0.03);
    assertTrue(u.ksDistance() > 0.04, "uniform KS " + u.ksDistance());
    assertEquals(3, WeightStatistics.of(laplace).excessKurtosis(), 0.5);
    assertEquals(0.5, WeightStatistics.normalCdf(0), 1e-7);
    assertEquals(0.975002104851780, WeightStatistics.normalCdf(1.96), 1e-7);
    assertEquals(0.0013498980316301, WeightStatistics.normalCdf(-3), 1e-7);
  }

  /** {@code n} random 28x28 images with 10 classes. */
  private static ImageDataset images(int n, long seed) {
    Random random = new Random(seed);
    byte[] pixels = new byte[n * 784];
    random.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    return new ImageDataset("synthetic", 1, 28, 28, 10, pixels, labels);
  }
}
