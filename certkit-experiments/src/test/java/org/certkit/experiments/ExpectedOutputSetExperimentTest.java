package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedOutputSetExperimentTest {

  /**
   * A tiny run writes the four files with two panels per configuration; the boxes are closed
   * 5-point polylines; every cloud point lies in the sampled box, which lies in the IBP box.
   */
  @Test
  void tinyRunWritesFilesAndConsistentBoxes(@TempDir Path dir) throws Exception {
    ExpectedOutputSetExperiment experiment = new ExpectedOutputSetExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedOutputSetExperiment.Parameters(
          List.of(6), List.of(20, 20), List.of(0.1), 2, 500, 20, 100), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "input_size", "eps", "network", "output", "sampled_lower", "sampled_upper",
          "expected_lower",
          "expected_upper", "ibp_lower", "ibp_upper", "gamma", "width_ratio"))
          .get("headline");
      assertEquals(1, headline.get("ibp_gamma_min").asDouble(), 1e-9);
      assertEquals(2, result.figure().panels().size());
      Panel withIbp = result.figure().panels().get(1);
      assertEquals(4, withIbp.series().size());
      Series cloud = withIbp.series().get(0);
      assertEquals(100, cloud.x().length);
      for (Series box : withIbp.series().subList(1, 4)) {
        assertEquals(5, box.x().length);
        assertArrayEquals(new double[] {box.x()[0], box.y()[0]},
            new double[] {box.x()[4], box.y()[4]});
      }
      List<List<Object>> rows = result.table().rows();
      for (int j = 0; j < 2; j++) {
        List<Object> row = rows.get(j);
        double sampledLower = ((Number) row.get(4)).doubleValue();
        double sampledUpper = ((Number) row.get(5)).doubleValue();
        assertTrue(((Number) row.get(8)).doubleValue() <= sampledLower + 1e-9
            && sampledUpper <= ((Number) row.get(9)).doubleValue() + 1e-9, row.toString());
        double[] coordinates = j == 0 ? cloud.x() : cloud.y();
        for (double v : coordinates) {
          assertTrue(v >= sampledLower && v <= sampledUpper, v + " outside " + row);
        }
      }
    }
  }
}
