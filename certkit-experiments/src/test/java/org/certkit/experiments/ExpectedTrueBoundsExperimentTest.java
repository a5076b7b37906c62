package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.certkit.data.ImageDataset;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.InputFormat;
import org.certkit.net.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedTrueBoundsExperimentTest {

  private static final List<String> COLUMNS = List.of("eps", "mask_rule", "centre", "logits",
      "milp_optimal_bounds", "milp_optimal_logits", "gamma_optimal_mean", "gamma_optimal_std",
      "gamma_optimal_min", "gamma_optimal_max", "gamma_decided_logits", "gamma_one_logits",
      "gamma_unknown_logits", "gamma_mean", "gamma_std", "gamma_min", "gamma_max",
      "gamma_mean_low", "gamma_mean_high", "gamma_min_low", "gamma_min_high", "width_ibp",
      "width_expected", "width_ibp_minus_expected", "width_ibp_over_expected",
      "width_milp_optimal_over_expected", "width_milp_outer_over_expected",
      "width_attained_over_expected", "milp_inside_ibp_fraction",
      "milp_contains_clean_fraction", "milp_seconds_per_image", "unstable_relus_per_image");

  /** 8x8 images, 4 classes. */
  private static final InputFormat EIGHT_BY_EIGHT =
      new InputFormat(1, 8, 8, new float[] {0.5f}, new float[] {0.25f}, 4);

  /**
   * Bounding a small random conv net on 2 synthetic images at two radii: every MILP bound is
   * exact, inside IBP and around the clean logit; every Gamma is exact and in [0, 1]; the four
   * variants share their widths by mask rule; the files are written.
   */
  @Test
  void tinyRunBoundsEveryLogitExactly(@TempDir Path dir) throws Exception {
    ExpectedTrueBoundsExperiment experiment = new ExpectedTrueBoundsExperiment();
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(new Architectures.Spec("cnn3", 0.25, new int[0]),
            EIGHT_BY_EIGHT, Initialization.DEFAULT, 3, manager)) {
      List<String> log = new ArrayList<>();
      ExperimentContext context = ExperimentFiles.context(dir, manager, log);
      ExpectedTrueBoundsExperiment.Parameters p = new ExpectedTrueBoundsExperiment.Parameters(
          "cnn3", 1, 0, 2, new double[] {0.01, 0.02}, 20, 5);
      ExperimentResult result = experiment.bound(net, images(12), 0.5, p, context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, COLUMNS)
          .get("headline");
      assertTrue(headline.get("check_milp_inside_ibp_all_logits").asBoolean());
      assertTrue(headline.get("check_milp_contains_clean_logit_all").asBoolean());
      assertTrue(headline.get("check_gamma_in_unit_interval").asBoolean());
      assertTrue(!headline.get("check_accuracy_at_least_0_98").asBoolean());
      assertEquals("16/16", headline.get("milp_optimal_bounds_eps_0.01").asText());
      assertEquals(8, result.table().rows().size());
      for (List<Object> row : result.table().rows()) {
        int logits = ((Number) row.get(3)).intValue();
        assertEquals(8, logits);
        assertEquals(logits, ((Number) row.get(5)).intValue(), "all logits exact: " + row);
        assertEquals(0, ((Number) row.get(12)).intValue(), "no unknown Gamma: " + row);
        double min = ((Number) row.get(8)).doubleValue();
        double max = ((Number) row.get(9)).doubleValue();
        assertTrue(0 <= min && min <= max && max <= 1, row.toString());
        // With exact MILP bounds the bracket collapses to the exact Gamma, up to the solver's
        // widening of the bounds (the inner range is attained, the outer one widened by 1e-6).
        assertEquals(((Number) row.get(6)).doubleValue(), ((Number) row.get(17)).doubleValue(),
            1e-5);
        assertEquals(((Number) row.get(17)).doubleValue(), ((Number) row.get(18)).doubleValue(),
            1e-5);
        assertEquals(1.0, ((Number) row.get(28)).doubleValue());
        assertEquals(1.0, ((Number) row.get(29)).doubleValue());
        double ratio = ((Number) row.get(24)).doubleValue();
        assertTrue(ratio > 1, "expected bounds should be narrower than IBP: " + row);
      }
      // The centre does not change widths: rows 0/1 (interval masks) and 2/3 (recursive).
      assertEquals(result.table().rows().get(0).get(22), result.table().rows().get(1).get(22));
      assertEquals(result.table().rows().get(2).get(22), result.table().rows().get(3).get(22));
    }
  }

  /**
   * The Gamma bracket: contained outer bounds give [1, 1]; an expected interval beside the inner
   * range gives [0, 0]; a partial overlap is bracketed by the hand-computed extremes.
   */
  @Test
  void gammaBracketCoversEveryTrueRangeBetweenInnerAndOuter() {
    assertArrayEquals(new double[] {1, 1}, ExpectedTrueBoundsExperiment.gammaBracket(
        new double[] {-5, 5}, new double[] {-1, 1}, new double[] {-2, 2}), 0);
    assertArrayEquals(new double[] {0, 0}, ExpectedTrueBoundsExperiment.gammaBracket(
        new double[] {3, 4}, new double[] {-1, 1}, new double[] {-2, 2}), 0);
    // Expected [0, 10], inner [1, 2], outer [-2, 4]: T = [-2, 2] gives 2/4 (T = [-2, 4] only
    // 4/6), T = [1, 2] gives 1.
    assertArrayEquals(new double[] {0.5, 1}, ExpectedTrueBoundsExperiment.gammaBracket(
        new double[] {0, 10}, new double[] {1, 2}, new double[] {-2, 4}), 1e-12);
    // Equal inner and outer ranges (exact bounds) give Gamma itself.
    assertArrayEquals(new double[] {0.5, 0.5}, ExpectedTrueBoundsExperiment.gammaBracket(
        new double[] {0, 10}, new double[] {-2, 2}, new double[] {-2, 2}), 1e-12);
  }

  /** The image sample is distinct, sorted, reproducible, and never larger than the set. */
  @Test
  void sampleDrawsDistinctSortedIndices() {
    int[] a = ExpectedTrueBoundsExperiment.sample(10_000, 100, 1);
    assertEquals(100, a.length);
    for (int i = 1; i < a.length; i++) {
      assertTrue(a[i] > a[i - 1]);
    }
    assertArrayEquals(a, ExpectedTrueBoundsExperiment.sample(10_000, 100, 1));
    assertEquals(5, ExpectedTrueBoundsExperiment.sample(5, 100, 1).length);
  }

  /** {@code n} random 8x8 images with 4 classes. */
  private static ImageDataset images(int n) {
    Random random = new Random(5);
    byte[] pixels = new byte[n * 64];
    random.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(4);
    }
    return new ImageDataset("synthetic", 1, 8, 8, 4, pixels, labels);
  }
}
