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

class ExpectedCoverageDepthExperimentTest {

  /**
   * A tiny run writes the four files; IBP contains every sampled interval; the IBP-to-expected
   * width ratio grows with depth (IBP loosens layer by layer, the blockwise bounds do not).
   */
  @Test
  void tinyRunWritesFilesAndRatioGrowsWithDepth(@TempDir Path dir) throws Exception {
    ExpectedCoverageDepthExperiment experiment = new ExpectedCoverageDepthExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedCoverageDepthExperiment.Parameters(
          List.of(12), List.of(2, 6), 6, 100, 20, 0.1), context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "input_size", "depth", "networks", "mean_gamma", "gamma_stderr", "gamma_min",
          "fraction_contained", "mean_width_ratio", "median_width_ratio", "ibp_gamma_min",
          "mean_gamma_affine_centre"))
          .get("headline");
      assertEquals(1, headline.get("ibp_gamma_min").asDouble(), 1e-9);
      List<List<Object>> rows = result.table().rows();
      double shallow = ((Number) rows.get(0).get(8)).doubleValue();
      double deep = ((Number) rows.get(1).get(8)).doubleValue();
      assertTrue(deep > 2 * shallow, "median ratio " + shallow + " -> " + deep);
      double gamma = headline.get("mean_gamma_n12_depth6").asDouble();
      assertTrue(gamma >= 0 && gamma <= 1, "Gamma " + gamma);
    }
  }
}
