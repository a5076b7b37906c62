package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlacknessExperimentTest {

  @TempDir Path dir;

  /** A tiny run writes the four files; g(2) = 4/pi, g increases, Monte Carlo agrees. */
  @Test
  void tinyRunWritesFilesAndChecksLemmaB2() throws IOException {
    SlacknessExperiment experiment = new SlacknessExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      List<String> log = new ArrayList<>();
      ExperimentContext context = ExperimentFiles.context(dir, manager, log);
      ExperimentResult result = experiment.run(new SlacknessExperiment.Parameters(50,
          List.of(2, 10, 50), 4, 4, 100), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "n", "g_closed_form", "g_squared", "g_monte_carlo", "g_stderr", "sqrt_2n_over_pi"))
          .get("headline");
      assertEquals(4 / Math.PI, headline.get("g_2").asDouble(), 1e-12);
      assertTrue(headline.get("g_2_exceeds_1_27").asBoolean());
      assertTrue(headline.get("g_increasing_on_1_to_max_n").asBoolean());
      assertTrue(headline.get("mc_vs_g_max_abs_rel_error").asDouble() < 0.05);
      assertEquals(3, log.size(), "one progress line per Monte-Carlo width: " + log);
    }
  }
}
