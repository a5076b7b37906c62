package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.io.Json;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainedTightnessExperimentTest {

  private static final List<String> COLUMNS = List.of("method", "train_eps", "eval_eps",
      "clean_accuracy", "pgd_accuracy", "certified_accuracy", "tightness_mean",
      "tightness_median", "train_seconds", "certifier");

  /**
   * A tiny run (one step per network on random images) writes one row per method and epsilon:
   * standard training once, evaluated at both; sound certification never exceeds PGD accuracy,
   * which never exceeds clean accuracy; tightness lies in (0, 1]; every network is trained
   * once.
   */
  @Test
  void tinyRunComparesEveryMethod(@TempDir Path dir) throws Exception {
    TrainedTightnessExperiment experiment = new TrainedTightnessExperiment();
    TrainedTightnessExperiment.Parameters p = new TrainedTightnessExperiment.Parameters("cnn3",
        1, 0, new double[] {0.05, 0.2}, TrainedTightnessExperiment.METHODS, 2, 1, 3, 16,
        Certifier.Method.IBP, 1, 16);
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(p, ExperimentFiles.randomImages(32, 1),
          ExperimentFiles.randomImages(16, 2), context);
      ExperimentFiles.writeAndCheck(experiment, context, result, COLUMNS);
      List<List<Object>> rows = result.table().rows();
      assertEquals(2 * TrainedTightnessExperiment.METHODS.size(), rows.size());
      for (List<Object> row : rows) {
        double clean = number(row, "clean_accuracy");
        double pgd = number(row, "pgd_accuracy");
        double certified = number(row, "certified_accuracy");
        double tightness = number(row, "tightness_mean");
        assertTrue(certified <= pgd && pgd <= clean, row.toString());
        assertTrue(tightness > 0 && tightness <= 1 + 1e-9, row.toString());
        assertEquals("ibp", row.get(COLUMNS.indexOf("certifier")));
      }
      assertEquals(0.0, number(rows.get(0), "train_eps"));
      assertEquals(number(rows.get(0), "tightness_mean"), number(rows.get(1), "tightness_mean"),
          "standard training is trained once");
      // All networks are trained before any is measured, each once: one run directory each.
      try (java.util.stream.Stream<Path> runs = java.nio.file.Files.list(
          context.outputDirectory().resolve("runs"))) {
        assertEquals(1 + 2 * (TrainedTightnessExperiment.METHODS.size() - 1), runs.count());
      }
    }
  }

  /**
   * A part of the sweep keeps the scale's recipe and narrows only the methods and epsilons
   * asked for; an epsilon outside (0, 1] is refused.
   */
  @Test
  void partsNarrowMethodsAndEpsilonsOnly() {
    TrainedTightnessExperiment experiment = new TrainedTightnessExperiment();
    TrainedTightnessExperiment.Parameters whole = experiment.parameters(Scale.FULL, null, null);
    TrainedTightnessExperiment.Parameters part = experiment.parameters(Scale.FULL,
        List.of("sabr"), new double[] {0.1});
    assertEquals(List.of("sabr"), part.methods());
    assertArrayEquals(new double[] {0.1}, part.epsilons());
    assertArrayEquals(new double[] {0.1, 0.3}, whole.epsilons());
    assertEquals(TrainedTightnessExperiment.METHODS, whole.methods());
    assertEquals(whole.epochs(), part.epochs());
    assertEquals(whole.trainSamples(), part.trainSamples());
    assertEquals(whole.testSamples(), part.testSamples());
    assertEquals(List.of("ibp"), experiment.parameters(Scale.FULL, List.of("ibp"), null)
        .methods());
    assertThrows(IllegalArgumentException.class,
        () -> experiment.parameters(Scale.FULL, null, new double[] {0}));
    assertThrows(IllegalArgumentException.class,
        () -> experiment.parameters(Scale.FULL, null, new double[] {1.5}));
  }

  /**
   * A measurement in parts gives one pass's per-example results (the parts split the same
   * batches); once its parts are stored, a rerun that lacks only the final report reads them
   * and measures no image again.
   */
  @Test
  void measurementInPartsEqualsOnePassAndResumesFromItsStoredParts(@TempDir Path dir)
      throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      Network net = Architectures.build(Architectures.Spec.of("cnn3"),
          DatasetName.MNIST.inputFormat(), Initialization.IBP, 3, manager);
      ImageDataset test = ExperimentFiles.randomImages(20, 5);
      RobustnessEvaluator evaluator = new RobustnessEvaluator(PgdAttack.withSteps(3, 1),
          Certifier.Method.IBP, 4);
      List<RobustnessEvaluator.ExampleResult> onePass = new ArrayList<>();
      evaluator.evaluate(net, test, test.size(), 0.3, manager, done -> { }, onePass::add);
      TrainingRuns.Run run = new TrainingRuns.Run(dir, net, 0, false);
      List<Integer> progress = new ArrayList<>();
      RobustnessReport parts = TrainedTightnessExperiment.measureInParts(run, "m", evaluator,
          test, 0.3, 8, manager, progress::add);
      List<RobustnessEvaluator.ExampleResult> stored = new ArrayList<>();
      for (int from : new int[] {0, 8, 16}) {
        stored.addAll(run.measured("m-part" + from, TrainedTightnessExperiment.MeasuredPart.class,
            () -> { throw new AssertionError("part " + from + " was not stored"); }).examples());
      }
      assertEquals(onePass.size(), stored.size());
      for (int i = 0; i < onePass.size(); i++) {
        RobustnessEvaluator.ExampleResult a = onePass.get(i);
        RobustnessEvaluator.ExampleResult b = stored.get(i);
        assertEquals(List.of(a.index(), a.correct(), a.pgdSurvives(), a.verdict()),
            List.of(b.index(), b.correct(), b.pgdSurvives(), b.verdict()), "example " + i);
      }
      assertEquals(20, parts.samples());
      assertTrue(parts.pgdAccuracy() < parts.cleanAccuracy(), "PGD should break some: " + parts);
      Path measures = dir.resolve("measures.json");
      com.fasterxml.jackson.databind.node.ObjectNode json =
          (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(measures.toFile());
      json.remove("m");
      Json.write(measures, json);
      List<Integer> again = new ArrayList<>();
      RobustnessReport resumed = TrainedTightnessExperiment.measureInParts(run, "m", evaluator,
          test, 0.3, 8, manager, again::add);
      assertEquals(List.of(8, 16, 20), again, "a stored part was measured again");
      assertEquals(parts.cleanAccuracy(), resumed.cleanAccuracy());
      assertEquals(parts.pgdAccuracy(), resumed.pgdAccuracy());
      assertEquals(parts.certifiedAccuracy(), resumed.certifiedAccuracy());
    }
  }

  private static double number(List<Object> row, String column) {
    return ((Number) row.get(COLUMNS.indexOf(column))).doubleValue();
  }
}
