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

class ExpectedWidthExperimentTest {

  /**
   * A tiny run writes the four files with four panels; the expected bounds get relatively
   * narrower as k grows (Theorem 2), many times narrower than IBP at k = 1000.
   */
  @Test
  void tinyRunWritesFilesAndRatioGrowsWithHiddenSize(@TempDir Path dir) throws Exception {
    ExpectedWidthExperiment experiment = new ExpectedWidthExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedWidthExperiment.Parameters(20,
          List.of(10, 1000), 50, List.of(5, 50), List.of(0.1), 10), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "sweep", "input_size", "hidden_width", "eps", "networks", "mean_width_difference",
          "width_difference_stderr", "mean_width_ratio", "width_ratio_stderr",
          "median_width_ratio", "mean_ibp_width", "mean_expected_width",
          "degenerate_networks")).get("headline");
      assertEquals(4, result.figure().panels().size());
      List<List<Object>> rows = result.table().rows();
      assertEquals("k", rows.get(0).get(0));
      double narrow = ((Number) rows.get(0).get(7)).doubleValue();
      double wide = ((Number) rows.get(1).get(7)).doubleValue();
      assertTrue(wide > 3 * narrow, "ratio " + narrow + " at k = 10, " + wide + " at 1000");
      assertEquals(wide, headline.get("mean_width_ratio_k1000_n20_eps0.1").asDouble(), 1e-12);
      assertTrue(wide > 5, "ratio at k = 1000: " + wide);
    }
  }
}
