package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.certkit.attack.PgdAttack;
import org.certkit.data.Augmentation;
import org.certkit.certify.Certifier;
import org.certkit.certify.Verdict;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest extends EngineTest {

  @TempDir Path dir;
  /**
   * Standard training on a learnable 3-class problem over 2x2 images raises the training accuracy
   * far above chance (1/3), as measured by the trainer and by an independent forward pass.
   */
  @Test
  void standardTrainingLearns() throws IOException {
    ImageDataset data = dataset(256, 1);
    TrainingConfig config = config(new StandardTraining(), 0, 6, 16, 0);
    try (Network net = TinyNetworks.fc(manager, 1)) {
      double before = accuracy(net, data);
      List<EpochMetrics> history = new Trainer(config).train(net, data);
      assertEquals(6, history.size());
      assertTrue(history.getLast().trainAccuracy() > 0.8, "final train accuracy "
          + history.getLast().trainAccuracy() + " (before training " + before + ")");
      assertTrue(Double.isNaN(history.getLast().trainRobustAccuracy()));
      assertTrue(accuracy(net, data) > 0.8, "accuracy after training " + accuracy(net, data));
    }
  }

  /**
   * IBP training reports a training robust accuracy in every epoch, and afterwards the sound
   * certifier proves most training examples robust at half the training epsilon.
   */
  @Test
  void ibpTrainingGivesCertifiedExamples() throws IOException {
    ImageDataset data = dataset(256, 2);
    double eps = 0.02;
    TrainingConfig config = config(IbpTraining.shi(), eps, 6, 16, 2);
    try (Network net = TinyNetworks.fc(manager, 2)) {
      List<EpochMetrics> history = new Trainer(config).train(net, data);
      for (EpochMetrics m : history) {
        assertFalse(Double.isNaN(m.trainRobustAccuracy()), "epoch " + m.epoch());
        assertTrue(m.trainRobustAccuracy() >= 0 && m.trainRobustAccuracy() <= m.trainAccuracy()
            + 1e-12, "epoch " + m.epoch() + ": robust " + m.trainRobustAccuracy() + ", clean "
            + m.trainAccuracy());
      }
      assertEquals(eps, history.getLast().eps());
      int certified = certifiedCount(net, data, eps / 2);
      assertTrue(certified > data.size() / 2, "only " + certified + " of " + data.size()
          + " training examples certified at eps " + eps / 2);
    }
  }

  /** IBP training resumed from the checkpoint of epoch 1 ends bit-identical to the full run. */
  @Test
  void ibpResumeIsExact() throws IOException {
    assertResumeIsExact(IbpTraining.shi());
  }

  /** PGD training resumed from the checkpoint of epoch 1 ends bit-identical to the full run. */
  @Test
  void pgdResumeIsExact() throws IOException {
    assertResumeIsExact(new PgdTraining(new PgdAttack(3, 0.5, 1, true)));
  }

  /**
   * The number of live native arrays under the root manager (counted recursively through every
   * sub-manager) is the same after step 5 and after the last step of a 48-step IBP run with
   * per-epoch evaluation and checkpoints; the same count grows by one per step when a listener
   * leaks one array per step into the network's manager, so a leak would be detected.
   */
  @Test
  void liveArraysStayFlat() throws IOException {
    ImageDataset data = dataset(64, 4);
    TrainingConfig config = config(IbpTraining.shi(), 0.02, 3, 4, 2);
    List<Integer> counts = countArraysPerStep(config, data, false);
    assertEquals(48, counts.size());
    assertEquals(counts.get(5), counts.getLast(), "live arrays after each step: " + counts);

    List<Integer> leaking = countArraysPerStep(config, data, true);
    assertEquals(counts.size() - 1 - 5, leaking.getLast() - leaking.get(5),
        "the count should see one leaked array per step: " + leaking);
  }

  private List<Integer> countArraysPerStep(TrainingConfig config, ImageDataset data, boolean leak)
      throws IOException {
    List<Integer> counts = new ArrayList<>();
    try (NDManager root = manager.newSubManager(); Network net = TinyNetworks.fc(root, 4)) {
      Linear last = (Linear) net.layers().getLast();
      TrainingListener listener = new TrainingListener() {
        @Override
        public void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {
          if (leak) {
            last.weight().abs(); // owned by the network's manager: the leak LayerOps guards against
          }
          // BaseNDManager.getManagedArrays() recurses into sub-managers (the network's, the
          // optimiser's, the trainer's base and step managers), so this counts every live array.
          counts.add(root.getManagedArrays().size());
        }
      };
      new Trainer(config).withEvaluation(new TestSetEvaluation(data.subset(16)))
          .withListeners(listener, new CheckpointWriter(dir.resolve("leak.ckpt")))
          .train(net, data);
    }
    return counts;
  }

  private void assertResumeIsExact(TrainingMethod method) throws IOException {
    ImageDataset data = dataset(64, 3);
    // The ramp spans both epochs and the learning rate decays at epoch 1: the resumed epoch must
    // pick up the schedule, the optimiser state and the random streams where they were.
    TrainingConfig config = config(method, 0.03, 2, 16, 2);
    Path checkpoint = dir.resolve(method.name() + ".ckpt");
    Path afterFirstEpoch = dir.resolve(method.name() + "-epoch1.ckpt");
    TrainingListener copier = new TrainingListener() {
      @Override
      public void epochFinished(EpochEnd end) {
        if (end.metrics().epoch() == 0) {
          try {
            Files.copy(checkpoint, afterFirstEpoch, StandardCopyOption.REPLACE_EXISTING);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    };
    try (Network full = TinyNetworks.fc(manager, 5)) {
      List<EpochMetrics> fullHistory = new Trainer(config)
          .withListeners(new CheckpointWriter(checkpoint), copier).train(full, data);
      assertTrue(Files.exists(afterFirstEpoch));

      Checkpoint saved = Checkpoint.load(afterFirstEpoch, manager);
      try (Network resumed = saved.network()) {
        Map<String, NDArray> atEpoch1 = resumed.state();
        assertFalse(sameBits(full.state(), atEpoch1), "the second epoch should change the network");
        List<EpochMetrics> resumedHistory = new Trainer(config)
            .withListeners(new CheckpointWriter(dir.resolve(method.name() + "-resumed.ckpt")))
            .resume(saved, data);
        assertEquals(2, resumedHistory.size());
        assertEquals(fullHistory.get(1).loss(), resumedHistory.get(1).loss(), 0.0);
        Map<String, NDArray> expected = full.state();
        Map<String, NDArray> actual = resumed.state();
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
          assertArrayEquals(bytes(expected.get(name)), bytes(actual.get(name)),
              method + ": " + name + " differs after resuming");
        }
      }
    }
  }

  /**
   * With a {@link TestSetEvaluation} attached, every epoch's test accuracy and certified accuracy
   * are those of the network at that epoch's end, recomputed here by an independent forward pass
   * and the sound certifier on the held-out set, and the tightness is finite and positive; without
   * an evaluation the three values are NaN and training is otherwise bit-identical.
   */
  @Test
  void evaluationValuesAreRecordedPerEpoch() throws IOException {
    ImageDataset data = dataset(64, 6);
    ImageDataset heldOut = dataset(40, 7);
    double eps = 0.02;
    TrainingConfig config = config(IbpTraining.shi(), eps, 2, 16, 1);
    List<double[]> expected = new ArrayList<>();
    TrainingListener independent = new TrainingListener() {
      @Override
      public void epochFinished(EpochEnd end) {
        expected.add(new double[] {accuracy(end.network(), heldOut),
            (double) certifiedCount(end.network(), heldOut, eps) / heldOut.size()});
      }
    };
    try (Network evaluated = TinyNetworks.fc(manager, 8);
        Network plain = TinyNetworks.fc(manager, 8)) {
      List<EpochMetrics> history = new Trainer(config)
          .withEvaluation(new TestSetEvaluation(heldOut)).withListeners(independent)
          .train(evaluated, data);
      List<EpochMetrics> without = new Trainer(config).train(plain, data);
      for (int e = 0; e < 2; e++) {
        EpochMetrics m = history.get(e);
        assertEquals(expected.get(e)[0], m.testAccuracy(), 0.0, "epoch " + e);
        assertEquals(expected.get(e)[1], m.testCertifiedAccuracy(), 0.0, "epoch " + e);
        assertTrue(m.testTightness() > 0 && Double.isFinite(m.testTightness()), "epoch " + e
            + ": tightness " + m.testTightness());
        EpochMetrics w = without.get(e);
        assertTrue(Double.isNaN(w.testAccuracy()) && Double.isNaN(w.testCertifiedAccuracy())
            && Double.isNaN(w.testTightness()), w.toString());
        assertEquals(m.loss(), w.loss(), 0.0, "evaluation changed training in epoch " + e);
        assertEquals(m.gradientNorm(), w.gradientNorm(), 0.0, "epoch " + e);
      }
      assertTrue(sameBits(evaluated.state(), plain.state()), "evaluation changed the network");
    }
  }

  /**
   * A checkpoint whose recorded {@code config} has the shape of earlier versions (the method an
   * enum name, its hyper-parameters beside the shared ones) still resumes, ending bit-identical
   * to the uninterrupted run: resuming reads only the {@code training} state.
   */
  @Test
  void checkpointWithEarlierConfigShapeResumes() throws IOException {
    ImageDataset data = dataset(64, 3);
    TrainingConfig config = config(IbpTraining.shi(), 0.03, 2, 16, 2);
    Path earlier = dir.resolve("earlier.ckpt");
    TrainingListener earlierWriter = new TrainingListener() {
      @Override
      public void epochFinished(EpochEnd end) throws IOException {
        if (end.metrics().epoch() == 0) {
          ObjectNode metadata = end.metadata();
          metadata.set("config", Json.MAPPER.readTree("""
              {"method": "IBP", "eps": 0.03, "epochs": 2, "batchSize": 16,
               "learningRate": {"initial": 0.02, "decayEpochs": [1], "factor": 0.5},
               "epsRampStart": 0, "epsRampEpochs": 2, "gradientClipNorm": 10.0, "seed": 42,
               "initialization": "DEFAULT",
               "pgd": {"steps": 3, "stepSize": 0.5, "restarts": 1, "randomStart": true},
               "robustWeight": 1.0, "regularizerWeight": 0.5,
               "augmentation": {"padding": 0, "horizontalFlip": false, "identity": true},
               "kappa": 1.0, "weightDecay": 0.0}"""));
          Checkpoint.save(earlier, end.network(), end.optimizerState(), metadata);
        }
      }
    };
    try (Network full = TinyNetworks.fc(manager, 5)) {
      new Trainer(config).withListeners(earlierWriter).train(full, data);
      Checkpoint saved = Checkpoint.load(earlier, manager);
      try (Network resumed = saved.network()) {
        assertEquals("IBP", saved.metadata().get("config").get("method").asText());
        List<EpochMetrics> history = new Trainer(config).resume(saved, data);
        assertEquals(2, history.size());
        assertTrue(sameBits(full.state(), resumed.state()), "resumed run differs");
      }
    }
  }

  /**
   * One training image drives two logits to +inf and -inf (huge weights on two pixels that are
   * dark in every other image), so its batch has a NaN loss and gradient in every epoch. The
   * trainer skips exactly that step each epoch, counts it, keeps every other array finite (the
   * BatchNorm running statistics the poisoned forward pass moved are restored) and still learns
   * from the other batches; zeroing gradients by {@code g - g} would have kept the NaN and failed
   * every later step.
   */
  @Test
  void nonFiniteStepIsSkippedAndCounted() throws IOException {
    int n = 96;
    ImageDataset data = poisonedDataset(n, 1);
    int epochs = 12;
    List<String> warnings = new ArrayList<>();
    TrainingListener listener = new TrainingListener() {
      @Override
      public void stepSkipped(int epoch, int batch, String reason, int inARow) {
        warnings.add(epoch + ":" + reason + ":" + inARow);
      }
    };
    try (Network net = poisonableNetwork()) {
      List<EpochMetrics> history = new Trainer(config(new StandardTraining(), 0, epochs, 16, 0))
          .withListeners(listener).train(net, data);
      for (EpochMetrics m : history) {
        assertEquals(1, m.skippedSteps(), "epoch " + m.epoch());
        assertTrue(Double.isFinite(m.loss()) && Double.isFinite(m.gradientNorm()));
      }
      assertEquals(epochs, warnings.size(), warnings.toString());
      assertTrue(warnings.getFirst().contains("NaN"), warnings.toString());
      for (Map.Entry<String, NDArray> a : net.state().entrySet()) {
        if (a.getKey().startsWith("1.")) {
          continue; // the poisoned layer keeps its +-3e38 weights (no finite gradient moves them)
        }
        for (float v : a.getValue().toFloatArray()) {
          assertTrue(Float.isFinite(v), a.getKey() + " holds " + v);
        }
      }
      assertTrue(accuracy(net, data.subset(n)) > 0.8, "accuracy " + accuracy(net, data));
    }
  }

  /** When every step is non-finite, training stops after the allowed number in a row. */
  @Test
  void consecutiveNonFiniteStepsStopTraining() {
    ImageDataset data = poisonedDataset(64, 64);
    try (Network net = poisonableNetwork()) {
      Trainer trainer = new Trainer(config(new StandardTraining(), 0, 2, 8, 0));
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
          IllegalStateException.class, () -> trainer.train(net, data));
      assertTrue(e.getMessage().contains("in " + Trainer.MAX_SKIPPED_IN_A_ROW
          + " steps in a row"), e.getMessage());
    }
  }

  /**
   * Flatten, Linear(4 -> 3) whose weights on pixels 0 and 1 are +-3e38 for units 0 and 1,
   * BatchNorm(3) (whose running statistics a poisoned batch would make non-finite), Linear(3 -> 3).
   */
  private Network poisonableNetwork() {
    NDManager owner = manager.newSubManager();
    Random random = new Random(5);
    float[] w = gaussian(random, 12);
    w[0] = 3e38f;
    w[1] = 3e38f;
    w[4] = -3e38f;
    w[5] = -3e38f;
    ai.djl.ndarray.types.Shape three = new ai.djl.ndarray.types.Shape(3);
    org.certkit.net.BatchNorm bn = new org.certkit.net.BatchNorm(owner.ones(three),
        owner.zeros(three), owner.zeros(three), owner.ones(three), 1e-5f, 0.1f);
    return new Network("poisonable", new ai.djl.ndarray.types.Shape(1, 2, 2), List.of(
        new org.certkit.net.Flatten(),
        new Linear(owner.create(w, new ai.djl.ndarray.types.Shape(3, 4)), owner.zeros(three)),
        bn,
        new Linear(owner.create(gaussian(random, 9), new ai.djl.ndarray.types.Shape(3, 3)),
            owner.zeros(three))), owner);
  }

  private static float[] gaussian(Random random, int n) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) random.nextGaussian() * 0.5f;
    }
    return w;
  }

  /**
   * 2x2 images labelled 0 when pixel 2 is brighter than pixel 3, else 1; pixels 0 and 1 are dark
   * except in the first {@code poisoned} images, where both are white.
   */
  private static ImageDataset poisonedDataset(int n, int poisoned) {
    Random random = new Random(9);
    byte[] pixels = new byte[n * 4];
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int a = random.nextInt(256);
      int b = random.nextInt(256);
      pixels[i * 4] = (byte) (i < poisoned ? 255 : 0);
      pixels[i * 4 + 1] = (byte) (i < poisoned ? 255 : 0);
      pixels[i * 4 + 2] = (byte) a;
      pixels[i * 4 + 3] = (byte) b;
      labels[i] = (byte) (a > b ? 0 : 1);
    }
    return new ImageDataset("poisoned", 1, 2, 2, 3, pixels, labels);
  }

  /**
   * A 3-class problem on 2x2 images: with {@code d} the sum of the top row minus the sum of the
   * bottom row (pixel bytes), class 0 when {@code d > 60}, 1 when {@code d < -60}, else 2; images
   * within 20 of a boundary are redrawn, so the classes are separated by a margin.
   */
  static ImageDataset dataset(int n, long seed) {
    Random random = new Random(seed);
    byte[] pixels = new byte[n * 4];
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int d;
      int[] p = new int[4];
      do {
        for (int k = 0; k < 4; k++) {
          p[k] = random.nextInt(256);
        }
        d = p[0] + p[1] - p[2] - p[3];
      } while (Math.abs(Math.abs(d) - 60) < 20);
      for (int k = 0; k < 4; k++) {
        pixels[i * 4 + k] = (byte) p[k];
      }
      labels[i] = (byte) (d > 60 ? 0 : d < -60 ? 1 : 2);
    }
    return new ImageDataset("synthetic", 1, 2, 2, 3, pixels, labels);
  }

  private static TrainingConfig config(TrainingMethod method, double eps, int epochs,
      int batchSize, int rampEpochs) {
    return new TrainingConfig(method, eps, epochs, batchSize,
        new LearningRateSchedule(0.02, new int[] {epochs - 1}, 0.5), 0, rampEpochs, 10.0, 42,
        Initialization.DEFAULT, Augmentation.NONE, 0.0);
  }

  private double accuracy(Network net, ImageDataset data) {
    try (NDManager scope = manager.newSubManager()) {
      int[] all = java.util.stream.IntStream.range(0, data.size()).toArray();
      NDArray logits = ConcreteDomain.forward(net, data.images(scope, all),
          BatchStatistics.evaluation());
      long[] predicted = logits.argMax(1).toLongArray();
      int correct = 0;
      for (int i = 0; i < predicted.length; i++) {
        correct += predicted[i] == data.label(i) ? 1 : 0;
      }
      return (double) correct / data.size();
    }
  }

  private int certifiedCount(Network net, ImageDataset data, double eps) {
    try (NDManager scope = manager.newSubManager()) {
      int[] all = java.util.stream.IntStream.range(0, data.size()).toArray();
      Verdict[] verdicts = new Certifier().certify(net, data.images(scope, all),
          data.labels(scope, all), eps);
      int certified = 0;
      for (Verdict v : verdicts) {
        certified += v.isCertified() ? 1 : 0;
      }
      return certified;
    }
  }

  private static boolean sameBits(Map<String, NDArray> a, Map<String, NDArray> b) {
    for (String name : a.keySet()) {
      if (!java.util.Arrays.equals(bytes(a.get(name)), bytes(b.get(name)))) {
        return false;
      }
    }
    return true;
  }

  private static byte[] bytes(NDArray a) {
    ByteBuffer buffer = a.toByteBuffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
