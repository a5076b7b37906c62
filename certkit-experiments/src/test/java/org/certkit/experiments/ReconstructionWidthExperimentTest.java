package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.certkit.tightness.theory.BoxReconstruction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconstructionWidthExperimentTest {

  @TempDir Path dir;

  /**
   * A tiny run (d = 200) writes the four files; IBP grows about linearly in w and the optimal
   * box about like sqrt(w).
   */
  @Test
  void tinyRunWritesFilesAndSlopes() throws IOException {
    ReconstructionWidthExperiment experiment = new ReconstructionWidthExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ReconstructionWidthExperiment.Parameters(200,
          List.of(1, 2, 4, 8, 16), 6, 100), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "bottleneck_width", "ibp_ratio", "ibp_stderr", "optimal_ratio", "optimal_stderr",
          "ibp_closed_form", "optimal_limit", "tightness")).get("headline");
      assertEquals(1, headline.get("ibp_loglog_slope").asDouble(), 0.05);
      assertEquals(0.5, headline.get("optimal_loglog_slope").asDouble(), 0.1);
      assertEquals(BoxReconstruction.c(200), headline.get("c_monte_carlo").asDouble(), 0.02);
      assertTrue(headline.get("tightness_at_largest_width").asDouble() < 0.5);
    }
  }
}
