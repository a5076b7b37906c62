package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CnnDepthTightnessExperimentTest {

  /**
   * On the two shallowest CNNs the files are complete, tightness falls with depth, and each
   * value is within a factor 2 of the reference code's stored value.
   */
  @Test
  void shallowNetworksMatchTheReferenceValues(@TempDir Path dir) throws Exception {
    CnnDepthTightnessExperiment experiment = new CnnDepthTightnessExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new CnnDepthTightnessExperiment.Parameters(
          List.of("cnn2-bn", "cnn3-bn"), 2, 1), context);
      ExperimentFiles.writeAndCheck(experiment, context, result, List.of("architecture",
          "layers", "local_tightness", "reference_local", "linear_tightness",
          "reference_linear"));
      for (String key : List.of("cnn2-bn_local_over_reference", "cnn3-bn_local_over_reference",
          "cnn2-bn_linear_over_reference", "cnn3-bn_linear_over_reference")) {
        double ratio = (double) result.headline().get(key);
        assertTrue(ratio > 0.5 && ratio < 2, key + " = " + ratio);
      }
      List<List<Object>> rows = result.table().rows();
      assertTrue((double) rows.get(1).get(2) < (double) rows.get(0).get(2));
    }
  }
}
