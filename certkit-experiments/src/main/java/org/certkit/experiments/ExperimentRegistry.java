package org.certkit.experiments;

import java.util.List;
import java.util.Optional;
import org.certkit.data.DatasetName;

/** Every experiment certkit can run, in a fixed order (the order of {@code experiment list}). */
public final class ExperimentRegistry {

  private ExperimentRegistry() {}

  /** All experiments, in their fixed order. */
  public static List<Experiment> all() {
    return List.of(
        new ReachableSetExperiment(),
        new InitializationTightnessExperiment(List.of(new ReluNetworkSeries())),
        new ReconstructionWidthExperiment(),
        new SlacknessExperiment(),
        new ReconstructionConstantsExperiment(),
        new CnnDepthTightnessExperiment(),
        new TrainedTightnessExperiment(),
        FirstPaperSweeps.depthAndWidth(),
        FirstPaperSweeps.epsilonSweep(),
        FirstPaperSweeps.sabrLambda(),
        FirstPaperSweeps.stapsClassifier(),
        FirstPaperSweeps.sabrWidth(),
        FirstPaperSweeps.methodsOnCnn4(),
        new ExpectedCoverageExperiment(),
        new ExpectedCoverageDepthExperiment(),
        new ExpectedWidthExperiment(),
        new ExpectedWidthDepthExperiment(),
        new ExpectedOutputSetExperiment(),
        new ExpectedBoundsTrainingExperiment(DatasetName.MNIST),
        new ExpectedBoundsTrainingExperiment(DatasetName.CIFAR10),
        new ExpectedTrueBoundsExperiment(),
        new ExpectedBoundsFailureExperiment(),
        new WeightHistogramExperiment());
  }

  /** The ids of {@link #all()}, in order. */
  public static List<String> ids() {
    return all().stream().map(Experiment::id).toList();
  }

  /** The experiment with this id, if any. */
  public static Optional<Experiment> find(String id) {
    return all().stream().filter(e -> e.id().equals(id)).findFirst();
  }

  /**
   * The experiment with this id.
   *
   * @throws IllegalArgumentException naming the id and listing the known ones
   */
  public static Experiment require(String id) {
    return find(id).orElseThrow(() -> new IllegalArgumentException("unknown experiment '" + id
        + "'; known: " + String.join(", ", ids())));
  }
}
