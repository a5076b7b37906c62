package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.experiments.TrainingSweepExperiment.Axis;
import org.certkit.experiments.TrainingSweepExperiment.Cell;
import org.certkit.experiments.TrainingSweepExperiment.Measure;
import org.certkit.experiments.TrainingSweepExperiment.Ordering;
import org.certkit.experiments.TrainingSweepExperiment.Parameters;
import org.certkit.experiments.TrainingSweepExperiment.Shape;
import org.certkit.experiments.TrainingSweepExperiment.Trend;
import org.certkit.net.Architectures;
import org.certkit.train.IbpTraining;
import org.certkit.train.SabrTraining;
import org.certkit.attack.PgdAttack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingSweepExperimentTest {

  private static final List<String> COLUMNS = List.of("axis", "series", "x", "architecture",
      "width", "method", "eps", "clean_accuracy", "pgd_accuracy", "certified_accuracy",
      "tightness_mean", "tightness_median", "train_certified_accuracy", "train_seconds",
      "certifier");

  /**
   * A tiny two-axis sweep (one step per network on random images) writes a row per cell and a
   * panel per axis and measure, with certified <= PGD <= clean accuracy and tightness in (0, 1];
   * run again, it trains nothing and gives the same table.
   */
  @Test
  void tinySweepWritesEveryCellAndResumes(@TempDir Path dir) throws Exception {
    PgdAttack attack = new PgdAttack(2, 0.5, 1, true);
    List<Cell> cells = List.of(
        new Cell("lambda", "sabr", 0.2, Architectures.Spec.of("cnn3"),
            new SabrTraining(0.2, attack, 0.7, 0.5), 0.1),
        new Cell("lambda", "sabr", 1, Architectures.Spec.of("cnn3"),
            new SabrTraining(1, attack, 0.7, 0.5), 0.1),
        new Cell("width", "ibp", 0.5, new Architectures.Spec("cnn3", 0.5, new int[] {1}),
            IbpTraining.shi(), 0.1));
    Parameters p = new Parameters(DatasetName.MNIST, 1, 0, 8, 8, 2, Certifier.Method.IBP,
        List.of(new Axis("lambda", "lambda", true), new Axis("width", "width", true)), cells,
        List.of(new Trend("tightness_rises_with_lambda", "lambda", "sabr", Measure.TIGHTNESS,
            Shape.RISING)),
        List.of(new Ordering("clean_sabr_ibp", "width", Measure.CLEAN, List.of("sabr", "ibp"))));
    TrainingSweepExperiment experiment = new TrainingSweepExperiment("test-sweep", "A sweep",
        "none", scale -> p, List.of("a note"));
    try (NDManager manager = NDManager.newBaseManager()) {
      List<String> log = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      ExperimentContext context = new ExperimentContext(dir, dir.resolve("data"), 7, log::add,
          manager, (unit, done, total) -> counts.add(done));
      ExperimentResult result = experiment.run(p, ExperimentFiles.randomImages(16, 1),
          ExperimentFiles.randomImages(8, 2), context);
      assertEquals(List.of(0, 1, 2, 3), counts, "work counted per cell");
      ExperimentFiles.writeAndCheck(experiment, context, result, COLUMNS);
      assertEquals(3, result.table().rows().size());
      assertEquals(2 * 4, result.figure().panels().size());
      for (List<Object> row : result.table().rows()) {
        double clean = number(row, "clean_accuracy");
        double pgd = number(row, "pgd_accuracy");
        double certified = number(row, "certified_accuracy");
        double tightness = number(row, "tightness_mean");
        assertTrue(certified <= pgd && pgd <= clean, row.toString());
        assertTrue(tightness > 0 && tightness <= 1 + 1e-9, row.toString());
      }
      assertTrue(result.headline().get("tightness_rises_with_lambda") instanceof Boolean);
      assertEquals("missing series", result.headline().get("clean_sabr_ibp_0.5"),
          "no SABR cell on the width axis");
      assertFalse(log.stream().anyMatch(l -> l.contains("trained before")), log.toString());

      log.clear();
      ExperimentResult again = experiment.run(p, ExperimentFiles.randomImages(16, 1),
          ExperimentFiles.randomImages(8, 2), context);
      assertEquals(3, log.stream().filter(l -> l.contains("trained before")).count(),
          log.toString());
      assertFalse(log.stream().anyMatch(l -> l.contains("epoch")), log.toString());
      assertEquals(result.table().rows(), again.table().rows());
    }
  }

  @Test
  void shapesFollowTheirDefinitions() {
    assertTrue(TrainingSweepExperiment.holds(Shape.RISING, new double[] {0.1, 0.3, 0.2, 0.9}));
    assertFalse(TrainingSweepExperiment.holds(Shape.RISING, new double[] {0.9, 0.3, 0.2, 0.1}));
    assertTrue(TrainingSweepExperiment.holds(Shape.FALLING, new double[] {0.9, 0.3, 0.4, 0.1}));
    assertFalse(TrainingSweepExperiment.holds(Shape.FALLING, new double[] {0.5, 0.5, 0.5}));
    assertTrue(TrainingSweepExperiment.holds(Shape.VALLEY, new double[] {0.5, 0.1, 0.3}));
    assertFalse(TrainingSweepExperiment.holds(Shape.VALLEY, new double[] {0.1, 0.2, 0.3}));
  }

  /**
   * TAPS's classifier for k ReLU layers of CNN4 (Conv, ReLU, Conv, ReLU, Flatten, Linear, ReLU,
   * Linear) starts at the k-th ReLU from the end.
   */
  @Test
  void classifierLengthsCountReluLayersFromTheEnd() {
    Architectures.Spec cnn4 = Architectures.Spec.of("cnn4");
    int[] expected = {1, 2, 5, 7};
    for (int relus = 0; relus <= 3; relus++) {
      assertEquals(expected[relus],
          FirstPaperSweeps.classifierLayers(cnn4, DatasetName.MNIST, relus));
    }
  }

  /**
   * The paper's numbers of Figure 5 and Tables 1 and 2 name cells and measures that the full
   * sweeps train and measure: 1, 4 and 22 of them, as the paper prints them.
   */
  @Test
  void paperValuesNameCellsOfTheFullSweeps() {
    Map<String, Integer> counts = Map.of("s1-fig5", 1, "s1-table1", 4, "s1-table2", 22);
    for (TrainingSweepExperiment sweep : List.of(FirstPaperSweeps.epsilonSweep(),
        FirstPaperSweeps.sabrWidth(), FirstPaperSweeps.methodsOnCnn4())) {
      TrainingSweepExperiment.Parameters p = sweep.parameters(Scale.FULL);
      java.util.Set<String> keys = new java.util.HashSet<>();
      for (TrainingSweepExperiment.Cell cell : p.cells()) {
        for (TrainingSweepExperiment.Measure m : p.measures()) {
          keys.add(TrainingSweepExperiment.key(cell.axis(), cell.series(), cell.x(), m));
        }
      }
      Map<String, PaperValue> paper = sweep.paperValues(Scale.FULL);
      assertEquals(counts.get(sweep.id()), paper.size(), sweep.id());
      assertTrue(keys.containsAll(paper.keySet()), sweep.id() + ": " + paper.keySet());
      assertTrue(sweep.paperValues(Scale.SMALL).isEmpty(), "small scale runs MNIST");
    }
  }

  private static double number(List<Object> row, String column) {
    return ((Number) row.get(COLUMNS.indexOf(column))).doubleValue();
  }
}
