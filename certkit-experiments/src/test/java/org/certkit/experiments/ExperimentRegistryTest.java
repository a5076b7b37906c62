package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.certkit.data.DatasetName;
import org.junit.jupiter.api.Test;

class ExperimentRegistryTest {

  @Test
  void listsTheExperimentsInOrder() {
    assertEquals(List.of("s1-fig1", "s1-fig2", "s1-fig3", "s1-fig7", "s1-fig8", "s1-cnn-depth",
        "s1-trained-tightness", "s1-fig4", "s1-fig5", "s1-fig6", "s1-fig9", "s1-table1",
        "s1-table2",
        "s2-fig1a", "s2-fig1b", "s2-fig2", "s2-fig3", "s2-fig4", "s2-fig5",
        "s2-fig6", "s2-table1", "s2-appE", "s2-appF"),
        ExperimentRegistry.ids());
    assertEquals("s1-fig3", ExperimentRegistry.require("s1-fig3").id());
  }

  @Test
  void unknownIdListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ExperimentRegistry.require("s9-fig1"));
    assertTrue(e.getMessage().contains("s9-fig1"), e.getMessage());
    for (String id : ExperimentRegistry.ids()) {
      assertTrue(e.getMessage().contains(id), e.getMessage());
    }
  }

  /** Every experiment's small and full parameters are valid records. */
  @Test
  void everyScaleHasValidParameters() {
    for (Scale scale : Scale.values()) {
      InitializationTightnessExperiment.Parameters.of(scale);
      ReconstructionWidthExperiment.Parameters.of(scale);
      SlacknessExperiment.Parameters.of(scale);
      ReconstructionConstantsExperiment.Parameters.of(scale);
      ExpectedCoverageExperiment.Parameters.of(scale);
      ExpectedCoverageDepthExperiment.Parameters.of(scale);
      ExpectedWidthExperiment.Parameters.of(scale);
      ExpectedWidthDepthExperiment.Parameters.of(scale);
      ExpectedOutputSetExperiment.Parameters.of(scale);
      ExpectedBoundsTrainingExperiment.Parameters.of(DatasetName.MNIST, scale);
      ExpectedBoundsTrainingExperiment.Parameters.of(DatasetName.CIFAR10, scale);
      ExpectedTrueBoundsExperiment.Parameters.of(scale);
      ExpectedBoundsFailureExperiment.Parameters.of(scale);
      WeightHistogramExperiment.Parameters.of(scale);
      for (String id : List.of("s1-fig4", "s1-fig5", "s1-fig6", "s1-fig9", "s1-table1",
          "s1-table2")) {
        ((TrainingSweepExperiment) ExperimentRegistry.require(id)).parameters(scale);
      }
    }
    assertEquals(Scale.FULL, Scale.parse("Full"));
    assertThrows(IllegalArgumentException.class, () -> Scale.parse("medium"));
  }
}
