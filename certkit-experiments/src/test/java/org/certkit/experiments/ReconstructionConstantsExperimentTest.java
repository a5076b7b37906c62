package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconstructionConstantsExperimentTest {

  @TempDir Path dir;

  /**
   * A tiny run writes the four files; c at d = 1000 is near 2/pi and E(delta*) near the
   * prediction at k = 1 and 10 for d = 500.
   */
  @Test
  void tinyRunWritesFilesAndHeadline() throws IOException {
    ReconstructionConstantsExperiment experiment = new ReconstructionConstantsExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ReconstructionConstantsExperiment.Parameters(
          List.of(2, 10, 1000), 500, 500, List.of(1, 10), 10, 200), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "panel", "dimension", "bottleneck_width", "monte_carlo", "stderr", "paper_prediction",
          "exact_closed_form")).get("headline");
      assertTrue(headline.get("c_abs_error_vs_2_over_pi_d_1000").asDouble() < 0.01);
      assertTrue(Math.abs(headline.get("delta_star_rel_error_d_500_k_1").asDouble()) < 0.05);
      assertTrue(Math.abs(headline.get("delta_star_rel_error_d_500_k_10").asDouble()) < 0.05);
    }
  }
}
