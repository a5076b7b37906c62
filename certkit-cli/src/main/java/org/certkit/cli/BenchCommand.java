package org.certkit.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.io.Json;
import org.certkit.io.Provenance;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.train.ExpectedBoundsTraining;
import org.certkit.train.IbpTraining;
import org.certkit.train.PgdTraining;
import org.certkit.train.StandardTraining;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;
import org.certkit.train.TrainingMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code certkit bench}: forward and IBP-forward time, their ratio, training throughput of
 * standard, PGD-10, IBP and expected-bound steps, and the live native array count over training
 * steps.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measure speed: standard vs IBP forward (median ms, ratio) and training"
        + " throughput (images/s) for standard, PGD-10, IBP and expected-bound steps, on random"
        + " data of MNIST shape.",
        "Also checks that the number of live native arrays stays flat over training steps."})
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--arch", defaultValue = "cnn7",
      description = "Architecture (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--batch-size", defaultValue = "128",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--repeats", defaultValue = "7",
      description = "Timed forward repetitions after 2 warm-ups (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--train-steps", defaultValue = "6",
      description = "Training steps per method; the first is a warm-up (default:"
          + " ${DEFAULT-VALUE}).")
  int trainSteps;

  @Option(names = "--json", description = "Write the results to this JSON file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1 || repeats < 1 || trainSteps < 2) {
      throw new IllegalArgumentException("need --batch-size >= 1, --repeats >= 1 and"
          + " --train-steps >= 2");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    DatasetName shape = DatasetName.MNIST;
    result.put("architecture", arch);
    result.put("input_shape", "1x28x28");
    result.put("batch_size", batchSize);
    try (NDManager root = NDManager.newBaseManager()) {
      root.getEngine().setRandomSeed(0);
      try (Network network = Architectures.build(Architectures.Spec.of(arch), shape.inputFormat(),
          Initialization.IBP, 0, root)) {
        System.out.print(network.summary());
        result.put("parameters", network.parameterCount());
        double[] forward = time(root, network, false);
        double[] ibp = time(root, network, true);
        double forwardMs = median(forward);
        double ibpMs = median(ibp);
        result.put("standard_forward_ms", forwardMs);
        result.put("ibp_forward_ms", ibpMs);
        result.put("ibp_forward_ratio", ibpMs / forwardMs);
        result.put("standard_forward_ms_min_max", new double[] {min(forward), max(forward)});
        result.put("ibp_forward_ms_min_max", new double[] {min(ibp), max(ibp)});
        System.out.printf("forward (eval, batch %d): standard %.1f ms, IBP %.1f ms, ratio %.2f"
            + "  (median of %d)%n", batchSize, forwardMs, ibpMs, ibpMs / forwardMs, repeats);
      }
      ImageDataset data = randomImages(batchSize * trainSteps);
      Map<String, Double> throughput = new LinkedHashMap<>();
      Map<String, Object> liveArrays = new LinkedHashMap<>();
      for (TrainingMethod method : List.of(new StandardTraining(), PgdTraining.tenSteps(),
          IbpTraining.shi(), new ExpectedBoundsTraining(1))) {
        String key = method instanceof PgdTraining ? "pgd10" : method.name();
        // One epoch at the target epsilon (no ramp, no decay): every step does the full work.
        TrainingConfig config = TrainingConfig.mnist(method, 0.1, 1, 0).toBuilder()
            .batchSize(batchSize).epsilonRamp(0, 0).build();
        StepTimer timer = new StepTimer(root);
        try (Network network = Architectures.build(Architectures.Spec.of(arch), shape.inputFormat(),
            Initialization.IBP, 0, root)) {
          new Trainer(config).withListeners(timer).train(network, data);
        }
        double imagesPerSecond = timer.imagesPerSecond(batchSize);
        throughput.put(key, imagesPerSecond);
        liveArrays.put(key, timer.liveArrays);
        System.out.printf("training %-15s %8.1f images/s   live arrays per step %s%n", key,
            imagesPerSecond, timer.liveArrays);
      }
      result.put("images_per_second", throughput);
      result.put("live_arrays_after_each_step", liveArrays);
      boolean flat = liveArrays.values().stream().allMatch(v -> {
        @SuppressWarnings("unchecked")
        List<Integer> counts = (List<Integer>) v;
        return counts.stream().distinct().count() == 1;
      });
      result.put("live_arrays_flat", flat);
      System.out.println("live native arrays flat over steps: " + flat);
    }
    Provenance provenance = Provenance.current();
    result.put("allocator", provenance.allocator());
    result.put("provenance", provenance);
    System.out.println("allocator settings: " + provenance.allocator());
    if (json != null) {
      Json.write(json, result);
    }
    return 0;
  }

  private double[] time(NDManager root, Network network, boolean interval) {
    IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.NEAREST);
    BatchStatistics eval = BatchStatistics.evaluation();
    double[] ms = new double[repeats];
    for (int i = -2; i < repeats; i++) {
      try (NDManager scope = root.newSubManager()) {
        NDArray x = scope.randomUniform(0, 1, new Shape(batchSize, 1, 28, 28));
        long start = System.nanoTime();
        NDArray out = interval
            ? domain.propagate(network, Box.linfBall(x, 0.1), eval).radius()
            : ConcreteDomain.forward(network, x, eval);
        out.sum().getFloat();
        if (i >= 0) {
          ms[i] = (System.nanoTime() - start) / 1e6;
        }
      }
    }
    return ms;
  }

  private static ImageDataset randomImages(int n) {
    Random random = new Random(0);
    byte[] pixels = new byte[n * 28 * 28];
    random.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    return new ImageDataset("random-mnist-shape", 1, 28, 28, 10, pixels, labels);
  }

  /** Times training steps after the first and records the live array count after each. */
  private static final class StepTimer implements TrainingListener {
    private final NDManager root;
    private final List<Integer> liveArrays = new ArrayList<>();
    private long firstStepEnd;
    private long lastStepEnd;
    private int timedSteps;

    StepTimer(NDManager root) {
      this.root = root;
    }

    @Override
    public void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {
      long now = System.nanoTime();
      if (batch == 0) {
        firstStepEnd = now;
      } else {
        lastStepEnd = now;
        timedSteps++;
      }
      liveArrays.add(root.getManagedArrays().size());
    }

    double imagesPerSecond(int batchSize) {
      return timedSteps * batchSize / ((lastStepEnd - firstStepEnd) / 1e9);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }
}
