package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedWidthDepthExperimentTest {

  /**
   * A tiny run writes the four files; for both the fully connected networks (recursive masks)
   * and the CNNs (interval masks) the IBP-to-expected width ratio grows with depth.
   */
  @Test
  void tinyRunWritesFilesAndRatioGrowsWithDepth(@TempDir Path dir) throws Exception {
    ExpectedWidthDepthExperiment experiment = new ExpectedWidthDepthExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedWidthDepthExperiment.Parameters(50,
          List.of(2, 5), 3, 6, 3, List.of(2, 4), 3, List.of(0.1)), context);
      ExperimentFiles.writeAndCheck(experiment, context, result, List.of("family",
          "mask_rule", "depth", "eps", "networks", "mean_width_difference",
          "width_difference_stderr", "mean_width_ratio", "width_ratio_stderr",
          "median_width_ratio", "min_width_ratio", "degenerate_networks"));
      List<List<Object>> rows = result.table().rows();
      assertEquals(List.of("fc", "recursive", "fc", "recursive", "cnn", "interval", "cnn",
          "interval"), List.of(rows.get(0).get(0), rows.get(0).get(1), rows.get(1).get(0),
          rows.get(1).get(1), rows.get(2).get(0), rows.get(2).get(1), rows.get(3).get(0),
          rows.get(3).get(1)));
      for (int family = 0; family < 2; family++) {
        double shallow = ((Number) rows.get(2 * family).get(7)).doubleValue();
        double deep = ((Number) rows.get(2 * family + 1).get(7)).doubleValue();
        assertTrue(deep > 2 * shallow && shallow > 1, rows.get(2 * family).get(0) + ": "
            + shallow + " -> " + deep);
      }
    }
  }
}
