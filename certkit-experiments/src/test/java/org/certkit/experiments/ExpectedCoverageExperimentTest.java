package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedCoverageExperimentTest {

  /**
   * A tiny run writes the four files; the sound IBP bounds contain every sampled interval
   * (Gamma 1, a check of the sampler); Gamma lies in [0, 1]; at n = 1 the expected bounds miss
   * part of the true interval for some of the 12 networks (mean Gamma below 1).
   */
  @Test
  void tinyRunWritesFilesAndMeasuresCoverage(@TempDir Path dir) throws Exception {
    ExpectedCoverageExperiment experiment = new ExpectedCoverageExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedCoverageExperiment.Parameters(
          List.of(1, 8), List.of(50), 12, 200, 20, 0.1), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "hidden_width", "input_size", "networks", "mean_gamma", "gamma_stderr", "gamma_min",
          "fraction_contained", "mean_lower_margin", "mean_upper_margin", "mean_true_width",
          "mean_expected_width", "ibp_gamma_min", "evaluations_per_network",
          "mean_gamma_affine_centre"))
          .get("headline");
      assertEquals(1, headline.get("ibp_gamma_min").asDouble(), 1e-9);
      double atOne = headline.get("mean_gamma_k50_n1").asDouble();
      assertTrue(atOne > 0 && atOne < 1, "mean Gamma at n = 1: " + atOne);
      assertTrue(headline.get("check_gamma_k50_n1_below_1").asBoolean());
      for (List<Object> row : result.table().rows()) {
        double mean = ((Number) row.get(3)).doubleValue();
        double min = ((Number) row.get(5)).doubleValue();
        assertTrue(min >= 0 && min <= mean && mean <= 1, row.toString());
      }
      assertEquals(200L + 256, result.table().rows().get(1).get(12));
    }
  }
}
