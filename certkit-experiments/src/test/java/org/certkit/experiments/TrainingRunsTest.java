package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.train.CheckpointWriter;
import org.certkit.train.EpochEnd;
import org.certkit.train.IbpTraining;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunsTest {

  private record Count(int value) {}

  /**
   * A second request for the same cell loads the saved network (same logits, bit for bit) and
   * returns the stored measurement without computing it; a changed seed is another cell, under
   * the same label, trained anew.
   */
  @Test
  void rerunLoadsFinishedCellsAndTrainsChangedOnes(@TempDir Path dir) throws Exception {
    ImageDataset train = ExperimentFiles.randomImages(16, 1);
    Architectures.Spec cnn3 = Architectures.Spec.of("cnn3");
    TrainingConfig config = TrainingConfig.mnist(IbpTraining.shi(), 0.1, 1, 7);
    AtomicInteger computed = new AtomicInteger();
    try (NDManager manager = NDManager.newBaseManager()) {
      List<String> log = new ArrayList<>();
      TrainingRuns runs = new TrainingRuns(ExperimentFiles.context(dir, manager, log));
      float[] first;
      try (TrainingRuns.Run run = runs.train("ibp eps 0.1", config, cnn3, DatasetName.MNIST,
          train, manager)) {
        assertFalse(run.resumed());
        first = logits(run, train, manager);
        assertEquals(1, run.measured("count", Count.class,
            () -> new Count(computed.incrementAndGet())).value());
        assertTrue(run.directory().getFileName().toString().startsWith("ibp_eps_0.1-"),
            run.directory().toString());
      }
      try (TrainingRuns.Run run = runs.train("ibp eps 0.1", config, cnn3, DatasetName.MNIST,
          train, manager)) {
        assertTrue(run.resumed());
        assertArrayEquals(first, logits(run, train, manager));
        assertEquals(1, run.measured("count", Count.class,
            () -> new Count(computed.incrementAndGet())).value());
      }
      assertEquals(1, computed.get(), "the stored measurement is reused");
      assertTrue(log.stream().anyMatch(l -> l.contains("trained before")), log.toString());
      TrainingConfig reseeded = TrainingConfig.mnist(IbpTraining.shi(), 0.1, 1, 8);
      try (TrainingRuns.Run run = runs.train("ibp eps 0.1", reseeded, cnn3, DatasetName.MNIST,
          train, manager)) {
        assertFalse(run.resumed());
        assertNotEquals(List.of(first), List.of(logits(run, train, manager)));
      }
      try (Stream<Path> cells = Files.list(dir.resolve("runs"))) {
        assertEquals(2, cells.count());
      }
    }
  }

  /**
   * A cell stopped after its first epoch (its partial checkpoint written, no model) continues
   * from that epoch on the rerun and ends with the network of the uninterrupted run, bit for
   * bit; the partial checkpoint is gone once the model is saved.
   */
  @Test
  void stoppedCellResumesFromItsLastEpoch(@TempDir Path dir) throws Exception {
    ImageDataset train = ExperimentFiles.randomImages(16, 1);
    Architectures.Spec cnn3 = Architectures.Spec.of("cnn3");
    TrainingConfig config = TrainingConfig.mnist(IbpTraining.shi(), 0.1, 2, 7);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] uninterrupted;
      Path cell;
      try (TrainingRuns.Run run = new TrainingRuns(ExperimentFiles.context(dir.resolve("a"),
          manager, new ArrayList<>())).train("ibp", config, cnn3, DatasetName.MNIST, train,
          manager)) {
        uninterrupted = logits(run, train, manager);
        cell = dir.resolve("b").resolve("runs").resolve(run.directory().getFileName());
      }
      Files.createDirectories(cell);
      TrainingListener stop = new TrainingListener() {
        @Override
        public void epochFinished(EpochEnd end) {
          throw new IllegalStateException("stopped after epoch " + end.metrics().epoch());
        }
      };
      try (Network network = Architectures.build(cnn3, DatasetName.MNIST.inputFormat(),
          config.initialization(), config.seed(), manager)) {
        Trainer trainer = new Trainer(config).withListeners(
            new CheckpointWriter(cell.resolve("partial.ckpt")), stop);
        assertThrows(IllegalStateException.class, () -> trainer.train(network, train));
      }
      List<String> log = new ArrayList<>();
      try (TrainingRuns.Run run = new TrainingRuns(ExperimentFiles.context(dir.resolve("b"),
          manager, log)).train("ibp", config, cnn3, DatasetName.MNIST, train, manager)) {
        assertEquals(cell, run.directory());
        assertArrayEquals(uninterrupted, logits(run, train, manager));
        assertTrue(run.trainSeconds() > 0);
      }
      assertTrue(log.stream().anyMatch(l -> l.contains("resuming after epoch 1")),
          log.toString());
      assertEquals(1, log.stream().filter(l -> l.contains("epoch 2/2")).count(), log.toString());
      assertFalse(log.stream().anyMatch(l -> l.contains("epoch 1/2")), log.toString());
      assertFalse(Files.exists(cell.resolve("partial.ckpt")));
      assertTrue(Files.isRegularFile(cell.resolve("model.ckpt")));
    }
  }

  private static float[] logits(TrainingRuns.Run run, ImageDataset data, NDManager manager) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = data.images(scope, new int[] {0, 1, 2});
      return ConcreteDomain.forward(run.network(), x, BatchStatistics.evaluation())
          .toFloatArray();
    }
  }
}
