package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Experiments count their long work for the progress bar of {@code experiment run}: from 0 to
 * the total of each phase, in the units they iterate. (Every experiment test that writes its
 * files checks the counts through {@link ExperimentFiles.WorkCounts}; these pin unit and total.)
 */
class ExperimentWorkTest {

  @TempDir Path dir;

  /** s1-fig1 counts its three propagations: exact, IBP boxes, IBP difference. */
  @Test
  void reachableSetCountsPropagations() {
    assertEquals(counts("propagations", 3), run(context -> new ReachableSetExperiment().run(
        ReachableSetExperiment.Parameters.of(Scale.SMALL), context)));
  }

  /** s1-fig7 counts its Monte-Carlo widths, one after each. */
  @Test
  void slacknessCountsWidths() {
    assertEquals(counts("widths", 3), run(context -> new SlacknessExperiment().run(
        new SlacknessExperiment.Parameters(50, List.of(2, 10, 50), 4, 4, 20), context)));
  }

  /**
   * s1-fig8 has two phases: its dimensions, then the Haar samples of the right panel, counted
   * one by one while they run in parallel.
   */
  @Test
  void reconstructionConstantsCountsDimensionsThenSamples() {
    List<String> counts = run(context -> new ReconstructionConstantsExperiment().run(
        new ReconstructionConstantsExperiment.Parameters(List.of(2, 10), 20, 50, List.of(1, 5),
            8, 20), context));
    List<String> expected = new ArrayList<>(counts("dimensions", 2));
    expected.addAll(counts("Haar samples", 8));
    assertEquals(expected, counts);
  }

  /** {@code "unit 0/total"} to {@code "unit total/total"}. */
  private static List<String> counts(String unit, int total) {
    return IntStream.rangeClosed(0, total).mapToObj(done -> unit + " " + done + "/" + total)
        .toList();
  }

  /** The checked work counts of one run. */
  private List<String> run(Consumer<ExperimentContext> experiment) {
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      experiment.accept(context);
      ExperimentFiles.WorkCounts work = (ExperimentFiles.WorkCounts) context.work();
      work.assertComplete();
      assertTrue(work.counts().size() > 1, work.counts().toString());
      return work.counts();
    }
  }
}
