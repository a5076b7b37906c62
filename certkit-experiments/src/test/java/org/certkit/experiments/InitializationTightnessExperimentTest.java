package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.certkit.tightness.theory.InitializationTightness;
import org.certkit.tightness.theory.MonteCarloEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitializationTightnessExperimentTest {

  @TempDir Path dir;

  private static final InitializationTightnessExperiment.Parameters TINY =
      new InitializationTightnessExperiment.Parameters(4, 4, List.of(2, 10, 100), 8,
          List.of(1, 2, 3, 4), 50);

  /**
   * A tiny run writes the four files with the expected columns, and its headline reports the
   * Monte-Carlo errors against tau(d1) at the checked widths present, the width slope and the
   * depth decay (near tau(8) per layer).
   */
  @Test
  void tinyRunWritesFilesAndHeadline() throws IOException {
    InitializationTightnessExperiment experiment =
        new InitializationTightnessExperiment(List.of());
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(TINY, context);
      JsonNode summary = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "sweep", "width", "depth", "dln_tightness", "dln_stderr", "dln_closed_form",
          "corollary_3_8_bound"));
      ExperimentFiles.assertAgreesWithPaper(summary, List.of("tau_500",
          "dln_width_loglog_slope"));
      JsonNode headline = summary.get("headline");
      assertEquals(0.056, headline.get("tau_500").asDouble(), 5e-4);
      for (int width : List.of(2, 10, 100)) {
        assertTrue(Math.abs(headline.get("mc_vs_tau_rel_error_d1_" + width).asDouble()) < 0.1);
      }
      assertTrue(!headline.has("mc_vs_tau_rel_error_d1_1000"));
      double slope = headline.get("dln_width_loglog_slope").asDouble();
      assertTrue(slope < -0.35 && slope > -0.6, "slope " + slope);
      assertEquals(InitializationTightness.tau(8),
          headline.get("dln_depth_decay_factor_per_layer").asDouble(), 0.05);
      assertEquals(7, result.table().rows().size());
    }
  }

  /** An extra series gets its own columns and curves; the DLN numbers do not change. */
  @Test
  void extraSeriesAddColumnsWithoutChangingTheDln() {
    InitializationTightnessSeries constant = new InitializationTightnessSeries() {
      @Override
      public String name() {
        return "half";
      }

      @Override
      public MonteCarloEstimate tightness(InitializationTightnessSeries.NetworkShape shape,
          int samples, long seed, ExperimentContext context) {
        return new MonteCarloEstimate(0.5, 0, samples);
      }
    };
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult plain = new InitializationTightnessExperiment(List.of()).run(TINY,
          context);
      ExperimentResult extended = new InitializationTightnessExperiment(List.of(constant))
          .run(TINY, context);
      assertEquals(List.of("sweep", "width", "depth", "dln_tightness", "dln_stderr",
          "half_tightness", "half_stderr", "dln_closed_form", "corollary_3_8_bound"),
          extended.table().columns());
      java.util.Map<String, Object> dlnPart = new java.util.LinkedHashMap<>(extended.headline());
      assertEquals(-0.0, (double) dlnPart.remove("half_width_loglog_slope"), 1e-12);
      assertEquals(1.0, (double) dlnPart.remove("half_depth_decay_factor_per_layer"), 1e-12);
      assertEquals(plain.headline(), dlnPart);
      assertEquals(3, extended.figure().panels().get(0).series().size());
      assertThrows(IllegalArgumentException.class,
          () -> new InitializationTightnessExperiment(List.of(new DeepLinearSeries())));
    }
  }
}
