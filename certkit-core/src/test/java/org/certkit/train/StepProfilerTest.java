package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.certkit.data.Augmentation;
import org.certkit.data.ImageDataset;
import org.certkit.io.Json;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepProfilerTest extends EngineTest {

  @TempDir Path dir;

  /**
   * On a network of three Linear layers, a standard step runs no attack and one forward pass
   * (three matrix products in the loss phase); a PGD-10 step's attack runs at least ten forward
   * passes. The phases come in order, their shares sum to 1, and the trace is readable JSON.
   */
  @Test
  void phasesHoldTheOperationsOfTheirPartOfTheStep() throws IOException {
    StepProfiler standard = profile(new StandardTraining(), dir.resolve("standard.json"));
    StepProfiler pgd = profile(PgdTraining.tenSteps(), dir.resolve("pgd.json"));
    List<String> labels = Arrays.stream(StepPhase.values()).map(StepPhase::label).toList();
    for (StepProfiler p : List.of(standard, pgd)) {
      List<StepProfiler.PhaseRow> rows = p.rows();
      assertEquals(labels, rows.stream().map(StepProfiler.PhaseRow::phase).toList());
      assertEquals(1, rows.stream().mapToDouble(StepProfiler.PhaseRow::share).sum(), 1e-9);
      assertTrue(rows.stream().allMatch(r -> r.medianMs() >= 0 && r.nativeMs() >= 0), "" + rows);
      assertTrue(p.table().lines().count() == 1 + labels.size(), p.table());
    }
    assertEquals(0, row(standard, StepPhase.ATTACK).nativeOps());
    assertEquals(3, products(row(standard, StepPhase.LOSS)), "" + standard.rows());
    assertTrue(row(pgd, StepPhase.ATTACK).nativeOps() > 0);
    assertTrue(Json.MAPPER.readTree(dir.resolve("pgd.json").toFile()).size() > 0);
  }

  /** Three steps of {@code method} on the small fully connected net, the third profiled. */
  private StepProfiler profile(TrainingMethod method, Path trace) throws IOException {
    ImageDataset data = TrainerTest.dataset(48, 3);
    TrainingConfig config = new TrainingConfig(method, 0.1, 1, 16,
        new LearningRateSchedule(0.01, new int[0], 0.5), 0, 0, 10.0, 42,
        Initialization.DEFAULT, Augmentation.NONE, 0.0);
    StepProfiler profiler = new StepProfiler(2, trace);
    try (Network net = TinyNetworks.fc(manager, 1)) {
      new Trainer(config).withListeners(profiler).train(net, data);
    }
    assertTrue(Files.size(trace) > 0);
    return profiler;
  }

  private static StepProfiler.PhaseRow row(StepProfiler p, StepPhase phase) {
    return p.rows().get(phase.ordinal());
  }

  /** Calls of the matrix-product operators in a phase. */
  private static int products(StepProfiler.PhaseRow row) {
    return row.operators().stream().filter(o -> o.name().contains("addmm")
        || o.name().contains("linear") || o.name().contains("matmul"))
        .mapToInt(StepProfiler.OpCount::count).sum();
  }
}
