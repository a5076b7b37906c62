package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.certkit.data.DatasetName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedBoundsTrainingExperimentTest {

  private static final List<String> COLUMNS = List.of("arch", "method", "learning_rate",
      "temperature", "eps_train", "kappa",
      "epochs", "train_samples", "test_accuracy", "pgd_accuracy_eps_0.1",
      "pgd_accuracy_eps_0.2", "pgd_robustness_eps_0.1", "pgd_robustness_eps_0.2",
      "mean_pgd_robustness", "mean_pgd_accuracy", "ibp_certified_at_train_eps", "selected",
      "train_seconds", "train_images_per_second", "eval_seconds", "wall_seconds");

  private static double number(List<Object> row, String column) {
    return ((Number) row.get(COLUMNS.indexOf(column))).doubleValue();
  }

  /**
   * A tiny run (two training steps per network, on random images) writes the four files with one
   * row per network: a nominal one, and per training epsilon one IBP network per temperature and
   * one expected-bound network per temperature and kappa. In every row PGD robustness is at
   * least PGD accuracy (both come from one attack on the prediction) and clean accuracy at least
   * PGD accuracy. With a zero threshold every grid network qualifies, so the selected one (of
   * each method's grid) has the best mean robustness; IBP networks are certified at their
   * training epsilon also when it is not a test epsilon.
   */
  @Test
  void tinyRunWritesOneRowPerNetworkAndSelectsByTheRule(@TempDir Path dir) throws Exception {
    ExpectedBoundsTrainingExperiment experiment =
        new ExpectedBoundsTrainingExperiment(DatasetName.MNIST);
    ExpectedBoundsTrainingExperiment.Parameters p = new ExpectedBoundsTrainingExperiment
        .Parameters(DatasetName.MNIST, List.of("dm-small"), List.of(0.1, 0.3),
            List.of(0.1, 0.2), List.of(0.5, 2.0), Map.of(), 1, 0, 32, List.of(1e-3),
            List.of(1.0, 0.2), 0.5, 24, 2, 1, 0.0);
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(p, ExperimentFiles.randomImages(64, 1),
          ExperimentFiles.randomImages(24, 2),
          context);
      JsonNode headline = ExperimentFiles.writeAndCheck(experiment, context, result, COLUMNS)
          .get("headline");
      List<List<Object>> rows = result.table().rows();
      assertEquals(1 + 2 * (2 + 2 * 2), rows.size());
      List<String> perEps = List.of("ibp", "ibp", "expected-bounds", "expected-bounds",
          "expected-bounds", "expected-bounds");
      List<String> methods = new ArrayList<>(List.of("standard"));
      methods.addAll(perEps);
      methods.addAll(perEps);
      assertEquals(methods, rows.stream().map(r -> r.get(1)).toList());
      assertEquals(List.of(1.0, 0.2), rows.subList(1, 3).stream()
          .map(r -> number(r, "temperature")).toList());
      for (List<Object> row : rows) {
        for (String eps : List.of("0.1", "0.2")) {
          double pgd = number(row, "pgd_accuracy_eps_" + eps);
          assertTrue(number(row, "pgd_robustness_eps_" + eps) >= pgd, row.toString());
          assertTrue(number(row, "test_accuracy") >= pgd, row.toString());
        }
        assertEquals((number(row, "pgd_robustness_eps_0.1") + number(row,
            "pgd_robustness_eps_0.2")) / 2, number(row, "mean_pgd_robustness"), 1e-12);
        assertEquals(64, number(row, "train_samples"));
        boolean ibp = row.get(1).equals("ibp");
        assertEquals(ibp, Double.isFinite(number(row, "ibp_certified_at_train_eps"))
            && !row.get(1).equals("expected-bounds"), row.toString());
      }
      for (int e = 0; e < 2; e++) {
        List<List<Object>> ibpGrid = rows.subList(1 + 6 * e, 3 + 6 * e);
        assertEquals(1, ibpGrid.stream().filter(r -> number(r, "selected") == 1).count());
        List<List<Object>> grid = rows.subList(3 + 6 * e, 7 + 6 * e);
        assertEquals(1, grid.stream().filter(r -> number(r, "selected") == 1).count());
        double best = grid.stream().mapToDouble(r -> number(r, "mean_pgd_robustness")).max()
            .orElseThrow();
        List<Object> chosen = grid.stream().filter(r -> number(r, "selected") == 1)
            .findFirst().orElseThrow();
        assertEquals(best, number(chosen, "mean_pgd_robustness"));
        String key = "dm-small_eps_" + (e == 0 ? "0.1" : "0.3");
        assertEquals(number(chosen, "kappa"), headline.get(key + "_expected_kappa").asDouble());
        assertEquals("threshold", headline.get(key + "_expected_selection").asText());
        assertEquals(number(chosen, "test_accuracy") - number(rows.get(0), "test_accuracy"),
            headline.get(key + "_expected_minus_nominal_accuracy").asDouble(), 1e-12);
      }
      assertFalse(headline.get("criterion_met_count").asText().isEmpty());
      Panel panel = result.figure().panels().get(0);
      assertEquals(5, panel.series().size());
      assertEquals(4, panel.labels().size());
      // Per model a row: the mean over eps_test, then one panel per eps_test (appendix C).
      assertEquals(3, result.figure().panels().size());
      assertEquals(3, result.figure().columns());
      assertTrue(result.figure().panels().get(2).title().contains("eps_test 0.2"));

      // A sweep stopped before its last network finished: the rerun trains that one only.
      List<Path> cells;
      try (Stream<Path> list = Files.list(dir.resolve("runs"))) {
        cells = list.sorted().toList();
      }
      assertEquals(rows.size(), cells.size());
      Path unfinished = cells.stream().filter(c -> c.getFileName().toString()
          .startsWith("dm-small_expected-bounds_eps_0.3_kappa_2_lr_0.001_T_0.2-")).findFirst()
          .orElseThrow();
      Files.delete(unfinished.resolve("model.ckpt"));
      List<String> log = new ArrayList<>();
      ExperimentContext again = ExperimentFiles.context(dir, manager, log);
      ExperimentResult resumed = experiment.run(p, ExperimentFiles.randomImages(64, 1),
          ExperimentFiles.randomImages(24, 2), again);
      assertEquals(rows.size() - 1, log.stream().filter(l -> l.contains("trained before"))
          .count(), log.toString());
      assertTrue(log.stream().filter(l -> l.contains("epoch 1/1"))
          .allMatch(l -> l.startsWith("dm-small expected-bounds eps 0.3 kappa 2 lr 0.001 T 0.2")),
          log.toString());
      // The reused networks' rows are unchanged (eps 0.3's selection may move with the new one).
      assertEquals(rows.subList(0, 7), resumed.table().rows().subList(0, 7));
    }
  }

  /**
   * When no grid network reaches the accuracy threshold (here 100% on random labels), the most
   * accurate one is selected and the headline says so.
   */
  @Test
  void belowTheThresholdTheMostAccurateIsSelected(@TempDir Path dir) {
    ExpectedBoundsTrainingExperiment experiment =
        new ExpectedBoundsTrainingExperiment(DatasetName.MNIST);
    ExpectedBoundsTrainingExperiment.Parameters p = new ExpectedBoundsTrainingExperiment
        .Parameters(DatasetName.MNIST, List.of("dm-small"), List.of(0.2), List.of(0.2),
            List.of(0.5, 4.0), Map.of(), 1, 0, 32, List.of(1e-2), List.of(1.0), 0.5, 40, 1, 1,
            1.0);
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(p, ExperimentFiles.randomImages(64, 3),
          ExperimentFiles.randomImages(40, 4),
          context);
      int accuracy = result.table().columns().indexOf("test_accuracy");
      int selected = result.table().columns().indexOf("selected");
      List<List<Object>> grid = result.table().rows().subList(2, 4);
      double best = grid.stream().mapToDouble(r -> ((Number) r.get(accuracy)).doubleValue())
          .max().orElseThrow();
      List<Object> chosen = grid.stream()
          .filter(r -> ((Number) r.get(selected)).intValue() == 1).findFirst().orElseThrow();
      assertEquals(best, ((Number) chosen.get(accuracy)).doubleValue());
      assertEquals("fallback (most accurate)",
          result.headline().get("dm-small_eps_0.2_expected_selection"));
    }
  }

  /**
   * The CIFAR-10 variant ({@code s2-fig6}) trains 3x32x32 networks with the CIFAR recipe and
   * names its columns by the paper's CIFAR epsilons to 4 digits (2/255 = 0.007843); other
   * datasets are refused. A model's trimmed grid replaces the common one, and the notes name
   * the networks so left out, as the small scale does for {@code dm-large}.
   */
  @Test
  void cifarVariantTrainsColourNetworksAtCifarEpsilons(@TempDir Path dir) {
    ExpectedBoundsTrainingExperiment experiment =
        new ExpectedBoundsTrainingExperiment(DatasetName.CIFAR10);
    assertEquals("s2-fig6", experiment.id());
    ExpectedBoundsTrainingExperiment.Parameters full = ExpectedBoundsTrainingExperiment
        .Parameters.of(DatasetName.CIFAR10, Scale.FULL);
    assertEquals(List.of(2 / 255.0, 8 / 255.0, 16 / 255.0, 0.1), full.trainEpsilons());
    assertEquals(0.40, full.accuracyThreshold());
    ExpectedBoundsTrainingExperiment.Parameters p = new ExpectedBoundsTrainingExperiment
        .Parameters(DatasetName.CIFAR10, List.of("dm-small"), List.of(2 / 255.0),
            List.of(2 / 255.0), List.of(0.5, 2.0),
            Map.of("dm-small", new ExpectedBoundsTrainingExperiment.Trim(List.of(0.5),
                List.of(1.0))), 1, 0, 16, List.of(1e-3), List.of(1.0), 0.5, 16, 1, 1, 0.0);
    assertEquals(List.of("dm-small: kappa 2 (1 network)"), p.droppedCells());
    // Small scale, dm-large: of 2 eps x 2 temperatures x (IBP + 2 kappas) = 12 IBP and
    // expected-bound networks, 2 eps x 1 x (1 + 1) = 4 remain.
    assertEquals(List.of("dm-large: kappa 0.3, temperature 0.2 (8 networks)"),
        ExpectedBoundsTrainingExperiment.Parameters.of(DatasetName.MNIST, Scale.SMALL)
            .droppedCells());
    assertThrows(IllegalArgumentException.class, () -> new ExpectedBoundsTrainingExperiment
        .Parameters(DatasetName.CIFAR10, List.of("dm-small"), List.of(2 / 255.0),
            List.of(2 / 255.0), List.of(0.5), Map.of("dm-large",
                new ExpectedBoundsTrainingExperiment.Trim(List.of(0.5), List.of(1.0))), 1, 0,
            16, List.of(1e-3), List.of(1.0), 0.5, 16, 1, 1, 0.0));
    // A trimmed grid takes its values from the common one.
    assertThrows(IllegalArgumentException.class, () -> new ExpectedBoundsTrainingExperiment
        .Parameters(DatasetName.CIFAR10, List.of("dm-small"), List.of(2 / 255.0),
            List.of(2 / 255.0), List.of(0.5), Map.of("dm-small",
                new ExpectedBoundsTrainingExperiment.Trim(List.of(0.5), List.of(0.2))), 1, 0,
            16, List.of(1e-3), List.of(1.0), 0.5, 16, 1, 1, 0.0));
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(p, ExperimentFiles.randomImages(32, 3, 32, 5),
          ExperimentFiles.randomImages(16, 3, 32, 6), context);
      assertEquals(3, result.table().rows().size());
      assertTrue(result.notes().getLast().contains("dm-small: kappa 2 (1 network)"),
          result.notes().toString());
      assertTrue(result.table().columns().contains("pgd_robustness_eps_0.007843"),
          result.table().columns().toString());
    }
    assertThrows(IllegalArgumentException.class,
        () -> new ExpectedBoundsTrainingExperiment(DatasetName.FASHION_MNIST));
  }
}
