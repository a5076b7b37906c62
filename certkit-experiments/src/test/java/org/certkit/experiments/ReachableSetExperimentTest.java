package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReachableSetExperimentTest {

  @TempDir Path dir;

  /**
   * The paper's numbers: the true maximum of y2 - y1 is -0.3, IBP bounds it by 0.6 (by hand:
   * h lies in the triangle h1 + h2 <= 2 but IBP's box is [0, 2]^2, and y2 - y1 = 0.45 (h1 + h2)
   * - 1.2), the logits' optimal box is [1, 1.2] x [-0.2, 0.9] (the triangle's corners), and the
   * optimal box of the logits proves robustness while IBP does not. A dense grid of inputs never
   * exceeds the exact maximum and comes within 1e-3 of it.
   */
  @Test
  void reproducesTheNumbersOfFigureOne() throws IOException {
    ReachableSetExperiment experiment = new ReachableSetExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      List<String> log = new ArrayList<>();
      ExperimentContext context = ExperimentFiles.context(dir, manager, log);
      ReachableSetExperiment.Parameters p = ReachableSetExperiment.Parameters.of(Scale.SMALL);
      ExperimentResult result = experiment.run(p, context);
      JsonNode summary = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "layer", "unit", "optimal_lower", "optimal_upper", "ibp_lower", "ibp_upper"));
      ExperimentFiles.assertAgreesWithPaper(summary, List.of("true_max_logit_difference",
          "ibp_logit_difference_bound", "robust", "ibp_proves_robustness",
          "optimal_box_of_logits_proves_robustness"));
      JsonNode headline = summary.get("headline");
      assertEquals(-0.3, headline.get("true_max_logit_difference").asDouble(), 1e-12);
      assertEquals(0.6, headline.get("ibp_logit_difference_bound").asDouble(), 1e-9);
      assertTrue(headline.get("ibp_logit_difference_bound").asDouble() >= 0.6 - 1e-15,
          "sound IBP bound below the exact IBP value");
      assertTrue(headline.get("robust").asBoolean());
      assertFalse(headline.get("ibp_proves_robustness").asBoolean());
      assertTrue(headline.get("optimal_box_of_logits_proves_robustness").asBoolean());
      assertEquals(0.9 - 1.0, headline.get("optimal_box_of_logits_difference_bound").asDouble(),
          1e-12);
      double gridMax = Double.NEGATIVE_INFINITY;
      int n = 2001;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          double x1 = -1 + 2.0 * i / (n - 1);
          double x2 = -1 + 2.0 * j / (n - 1);
          double h1 = Math.max(0, x1 + x2);
          double h2 = Math.max(0, x1 - x2);
          gridMax = Math.max(gridMax, 0.45 * (h1 + h2) - 1.2);
        }
      }
      assertTrue(gridMax <= -0.3 + 1e-12 && gridMax > -0.3 - 1e-3, "grid max " + gridMax);
    }
  }
}
