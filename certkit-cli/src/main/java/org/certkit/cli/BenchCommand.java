package org.certkit.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.io.Json;
import org.certkit.io.ModelFile;
import org.certkit.io.Provenance;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.train.ExpectedBoundsTraining;
import org.certkit.train.IbpTraining;
import org.certkit.train.PgdTraining;
import org.certkit.train.StandardTraining;
import org.certkit.train.StepProfiler;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;
import org.certkit.train.TrainingMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code certkit bench}: forward and IBP-forward time, their ratio, CROWN margin bounds (time and
 * peak memory), the training step of standard, PGD-10, IBP and expected-bound training (median
 * time, images/s, ratio to the standard step, peak RSS, time per {@link
 * org.certkit.train.StepPhase} and with {@code --profile} the native operations per phase), the
 * live native array count over training steps, and with {@code --compare} the ratios to peers'
 * timings. The results go to standard output; a bar over the measured runs (forward and CROWN
 * repetitions, warm-ups included, and training steps) goes to standard error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measure speed: standard vs IBP forward (median ms, ratio) and training"
        + " throughput (images/s) for standard, PGD-10, IBP and expected-bound steps, on random"
        + " data of MNIST shape.",
        "Also checks that the number of live native arrays stays flat over training steps.",
        "Results go to stdout; a progress bar over the timed runs goes to stderr."})
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--arch", defaultValue = "cnn7",
      description = "Architecture (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--batch-size", defaultValue = "128",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--repeats", defaultValue = "7",
      description = "Timed forward repetitions, after --warmups untimed ones (default:"
          + " ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--warmups", defaultValue = "100",
      description = "Untimed forward passes before the timed ones, for at most 10 s (at least"
          + " 2): until the JVM has compiled the code around the native operations, a small"
          + " network's forward passes take two to three times as long (CNN3-BN IBP forward: 8.1"
          + " ms after 2, 4.0 ms after 100; default: ${DEFAULT-VALUE}).")
  int warmups;

  @Option(names = "--train-steps", defaultValue = "6",
      description = "Training steps per method; the first is a warm-up (default:"
          + " ${DEFAULT-VALUE}).")
  int trainSteps;

  @Option(names = "--crown-batch-size", defaultValue = "8",
      description = "Batch of the CROWN margin bounds timed (0 skips them; default:"
          + " ${DEFAULT-VALUE}).")
  int crownBatchSize;

  @Option(names = "--crown-model", paramLabel = "FILE",
      description = "Time only the CROWN rows, on this model (ONNX or checkpoint, random"
          + " inputs of its input shape) instead of the architecture.")
  Path crownModel;

  @Option(names = "--crown-modes", split = ",", paramLabel = "MODE",
      defaultValue = "nearest,outward,outward_float32",
      description = "CROWN rows to time: nearest, outward (sound, float64), outward_float32"
          + " (sound, float32) (default: all three).")
  List<String> crownModes;

  @Option(names = "--crown-repeats", defaultValue = "3",
      description = "Timed CROWN repetitions, after --crown-warmups untimed ones when more than"
          + " one (default: ${DEFAULT-VALUE}).")
  int crownRepeats;

  @Option(names = "--crown-warmups", defaultValue = "20",
      description = "Untimed CROWN runs before the timed ones, when --crown-repeats is more than"
          + " one, for at most 10 s (at least one): the JVM compiles the code around the native"
          + " operations during the first runs, and small networks take 1.5 times longer until"
          + " it has (default: ${DEFAULT-VALUE}).")
  int crownWarmups;

  @Option(names = "--json", description = "Write the results to this JSON file.")
  Path json;

  @Option(names = "--compare", paramLabel = "PEERS.json",
      description = "Print certkit's times against peers' (a JSON file {\"peers\": [{\"name\":"
          + " ..., \"ms\": {KEY: milliseconds}}]}, KEY one of this command's JSON keys such as"
          + " standard_forward_ms, ibp_forward_ms, step_ms.ibp or crown_outward_ms) as ratios"
          + " certkit / peer; benchmarks/peers/ holds measured ones.")
  Path compare;

  @Option(names = "--profile", paramLabel = "DIR",
      description = "Also profile one extra training step per method: time and native"
          + " operations per phase (data, attack, forward and bounds, backward, optimiser), and"
          + " the engine's trace of that step as DIR/METHOD-step.json (Chrome trace format, for"
          + " Perfetto; existing files are not replaced).")
  Path profile;

  @Mixin ProgressOptions progress;

  /** The longest warm-up of a CROWN row, seconds (its first run always happens). */
  private static final double WARMUP_SECONDS = 10;

  /** A CROWN row: its name in {@code --crown-modes} and the domain it times. */
  private record CrownRow(String name, LinearBoundDomain domain) { }

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1 || repeats < 1 || trainSteps < 2) {
      throw new IllegalArgumentException("need --batch-size >= 1, --repeats >= 1 and"
          + " --train-steps >= 2");
    }
    List<CrownRow> crown = selectedCrownRows();
    List<Peer> peers = compare == null ? List.of() : Peer.read(compare);
    List<TrainingMethod> methods = List.of(new StandardTraining(), PgdTraining.tenSteps(),
        IbpTraining.shi(), new ExpectedBoundsTraining(1));
    if (profile != null && crownModel != null) {
      throw new IllegalArgumentException("--profile profiles training steps, which"
          + " --crown-model does not run");
    }
    if (profile != null) {
      Files.createDirectories(profile);
      for (TrainingMethod method : methods) {
        if (Files.exists(trace(method))) {
          throw new IllegalArgumentException(trace(method) + " exists; choose another"
              + " --profile directory");
        }
      }
    }
    long runs = (long) crown.size() * crownRuns()
        + (crownModel != null ? 0 : 2L * (repeats + 2) + (long) methods.size() * stepsPerMethod());
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("architecture", arch);
    result.put("input_shape", "1x28x28");
    result.put("batch_size", batchSize);
    try (ProgressBar bar = progress.bar("bench", runs)) {
      if (crownModel != null) {
        result.put("crown_model", crownModel.toString());
        try (NDManager root = NDManager.newBaseManager();
            Network network = ModelFile.load(crownModel, root)) {
          root.getEngine().setRandomSeed(0);
          crownRows(root, network, crown, result, bar);
        }
      } else {
        measure(methods, crown, result, bar);
      }
    }
    if (!peers.isEmpty()) {
      result.put("comparison", compare(result, peers));
    }
    writeJson(result);
    return 0;
  }

  /**
   * A peer's timings.
   *
   * @param name what was measured, such as "PyTorch 1.13 own IBP code"
   * @param ms milliseconds per bench key ({@code step_ms.ibp} for nested keys)
   */
  record Peer(String name, Map<String, Double> ms) {

    /** The peers of a {@code --compare} file. */
    static List<Peer> read(Path file) throws IOException {
      com.fasterxml.jackson.databind.JsonNode root = Json.MAPPER.readTree(file.toFile());
      if (!root.path("peers").isArray() || root.path("peers").isEmpty()) {
        throw new IllegalArgumentException(file + ": expected {\"peers\": [{\"name\": ...,"
            + " \"ms\": {...}}, ...]}");
      }
      List<Peer> peers = new ArrayList<>();
      for (com.fasterxml.jackson.databind.JsonNode p : root.path("peers")) {
        Map<String, Double> ms = new LinkedHashMap<>();
        p.path("ms").fields().forEachRemaining(f -> {
          if (!f.getValue().isNumber()) {
            throw new IllegalArgumentException(file + ": " + f.getKey() + " is not a number");
          }
          ms.put(f.getKey(), f.getValue().asDouble());
        });
        peers.add(new Peer(p.path("name").asText("peer " + (peers.size() + 1)), ms));
      }
      return peers;
    }
  }

  /** One row of the comparison: a key, certkit's and the peer's milliseconds, their ratio. */
  record Comparison(String peer, String key, double certkitMs, double peerMs, double ratio) { }

  /** Each peer timing against the measured one of the same key, printed and returned. */
  private List<Comparison> compare(Map<String, Object> result, List<Peer> peers) {
    List<Comparison> rows = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    for (Peer peer : peers) {
      out.append(String.format("against %s (ratio = certkit / peer, below 1 is faster):%n",
          peer.name()));
      for (Map.Entry<String, Double> e : peer.ms().entrySet()) {
        Object measured = lookup(result, e.getKey());
        if (!(measured instanceof Number number)) {
          out.append(String.format("  %-28s not measured in this run%n", e.getKey()));
          continue;
        }
        double ms = number.doubleValue();
        Comparison c = new Comparison(peer.name(), e.getKey(), ms, e.getValue(),
            ms / e.getValue());
        rows.add(c);
        out.append(String.format("  %-28s %10.1f ms  peer %10.1f ms  ratio %.2f%n", c.key(),
            c.certkitMs(), c.peerMs(), c.ratio()));
      }
    }
    print(out.toString());
    return rows;
  }

  /** The value of a bench key, {@code a.b} reading key {@code b} of map {@code a}; or null. */
  private static Object lookup(Map<String, Object> result, String key) {
    int dot = key.indexOf('.');
    if (dot < 0) {
      return result.get(key);
    }
    return result.get(key.substring(0, dot)) instanceof Map<?, ?> inner
        ? inner.get(key.substring(dot + 1)) : null;
  }

  /** The forward, CROWN and training rows on {@code --arch}, into {@code result}. */
  private void measure(List<TrainingMethod> methods, List<CrownRow> crown,
      Map<String, Object> result, ProgressBar bar) throws IOException {
    DatasetName shape = DatasetName.MNIST;
    try (NDManager root = NDManager.newBaseManager()) {
      root.getEngine().setRandomSeed(0);
      try (Network network = Architectures.build(Architectures.Spec.of(arch), shape.inputFormat(),
          Initialization.IBP, 0, root)) {
        print(network.summary());
        result.put("parameters", network.parameterCount());
        double[] forward = time(root, network, false, bar);
        double[] ibp = time(root, network, true, bar);
        double forwardMs = median(forward);
        double ibpMs = median(ibp);
        result.put("standard_forward_ms", forwardMs);
        result.put("ibp_forward_ms", ibpMs);
        result.put("ibp_forward_ratio", ibpMs / forwardMs);
        result.put("standard_forward_ms_min_max", new double[] {min(forward), max(forward)});
        result.put("ibp_forward_ms_min_max", new double[] {min(ibp), max(ibp)});
        print(String.format("forward (eval, batch %d): standard %.1f ms, IBP %.1f ms, ratio %.2f"
            + "  (median of %d)%n", batchSize, forwardMs, ibpMs, ibpMs / forwardMs, repeats));
        crownRows(root, network, crown, result, bar);
      }
      ImageDataset data = randomImages(batchSize * stepsPerMethod());
      Map<String, Double> throughput = new LinkedHashMap<>();
      Map<String, Double> stepMs = new LinkedHashMap<>();
      Map<String, Double> stepRatio = new LinkedHashMap<>();
      Map<String, Long> peakRss = new LinkedHashMap<>();
      Map<String, Object> liveArrays = new LinkedHashMap<>();
      Map<String, Object> phases = new LinkedHashMap<>();
      for (TrainingMethod method : methods) {
        String key = key(method);
        // One epoch at the target epsilon (no ramp, no decay): every step does the full work.
        TrainingConfig config = TrainingConfig.mnist(method, 0.1, 1, 0).toBuilder()
            .batchSize(batchSize).epsilonRamp(0, 0).build();
        int profiled = profile != null ? trainSteps : -1;
        StepTimer timer = new StepTimer(root, bar, profiled);
        StepProfiler phased = new StepProfiler(profiled, profile != null ? trace(method) : null);
        boolean resettable = PeakMemory.reset();
        try (Network network = Architectures.build(Architectures.Spec.of(arch), shape.inputFormat(),
            Initialization.IBP, 0, root)) {
          new Trainer(config).withListeners(timer, phased).train(network, data);
        }
        long peak = PeakMemory.peakBytes();
        double imagesPerSecond = timer.imagesPerSecond(batchSize);
        double ms = median(timer.stepMs.stream().mapToDouble(Double::doubleValue).toArray());
        throughput.put(key, imagesPerSecond);
        stepMs.put(key, ms);
        stepRatio.put(key, ms / stepMs.values().iterator().next());
        peakRss.put(key, peak);
        liveArrays.put(key, timer.liveArrays);
        print(String.format("training %-15s %8.1f ms/step (median)  %8.1f images/s  %5.2fx the"
            + " standard step  peak RSS %.2f GiB%s  live arrays per step %s%n", key, ms,
            imagesPerSecond, stepRatio.get(key), peak / (double) (1L << 30),
            resettable ? "" : " (process peak)", timer.liveArrays));
        phases.put(key, phased.rows());
        print(String.format("phases of the %s step (median of %d steps%s):%n%s", key,
            trainSteps - 1, profile != null ? "; native operations of one more step, profiled"
            + ", trace in " + trace(method) : "", phased.table()));
      }
      result.put("step_phases", phases);
      result.put("images_per_second", throughput);
      result.put("step_ms", stepMs);
      result.put("step_ratio_to_standard", stepRatio);
      result.put("training_peak_rss_bytes", peakRss);
      result.put("live_arrays_after_each_step", liveArrays);
      boolean flat = liveArrays.values().stream().allMatch(v -> {
        @SuppressWarnings("unchecked")
        List<Integer> counts = (List<Integer>) v;
        return counts.stream().distinct().count() == 1;
      });
      result.put("live_arrays_flat", flat);
      print("live native arrays flat over steps: " + flat + System.lineSeparator());
    }
  }

  /** Prints {@code text} to standard output, above the progress bar. */
  private void print(String text) {
    ProgressOptions.print(System.out, text, progress.quiet);
  }

  /** Adds the provenance, prints the allocator settings and writes {@code --json} if given. */
  private void writeJson(Map<String, Object> result) throws IOException {
    Provenance provenance = Provenance.current();
    result.put("allocator", provenance.allocator());
    result.put("provenance", provenance);
    print("allocator settings: " + provenance.allocator() + System.lineSeparator());
    if (json != null) {
      Json.write(json, result);
    }
  }

  /** Forward times in ms after two warm-ups, each of the runs one step of {@code bar}. */
  private double[] time(NDManager root, Network network, boolean interval, ProgressBar bar) {
    IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.NEAREST);
    BatchStatistics eval = BatchStatistics.evaluation();
    double[] ms = new double[repeats];
    long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
    for (int w = 0; w < Math.max(2, warmups) && (w < 2 || System.nanoTime() < warmupEnd); w++) {
      forwardOnce(root, network, interval, domain, eval);
      if (w < 2) {
        bar.step();
      }
    }
    for (int i = 0; i < repeats; i++) {
      ms[i] = forwardOnce(root, network, interval, domain, eval);
      bar.step();
    }
    return ms;
  }

  /** One forward pass (interval or standard) on a fresh random batch, in milliseconds. */
  private double forwardOnce(NDManager root, Network network, boolean interval,
      IntervalDomain domain, BatchStatistics eval) {
    try (NDManager scope = root.newSubManager()) {
      NDArray x = scope.randomUniform(0, 1, new Shape(batchSize, 1, 28, 28));
      long start = System.nanoTime();
      NDArray out = interval
          ? domain.propagate(network, Box.linfBall(x, 0.1), eval).radius()
          : ConcreteDomain.forward(network, x, eval);
      out.sum().getFloat();
      return (System.nanoTime() - start) / 1e6;
    }
  }

  /**
   * The CROWN rows that {@code --crown-modes} selects, to nearest and sound (float64 and float32
   * arithmetic), in that order; none when {@code --crown-batch-size} is 0.
   *
   * @throws IllegalArgumentException naming a mode that is not one of the three
   */
  private List<CrownRow> selectedCrownRows() {
    if (crownBatchSize < 1) {
      return List.of();
    }
    List<CrownRow> rows = List.of(
        new CrownRow("nearest", new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.NEAREST)),
        new CrownRow("outward", new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD)),
        new CrownRow("outward_float32", new LinearBoundDomain(
            LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.OUTWARD, null,
            LinearBoundDomain.SoundArithmetic.FLOAT32)));
    for (String mode : crownModes) {
      if (rows.stream().noneMatch(r -> r.name().equals(mode))) {
        throw new IllegalArgumentException("--crown-modes: unknown mode '" + mode
            + "' (nearest, outward, outward_float32)");
      }
    }
    return rows.stream().filter(r -> crownModes.contains(r.name())).toList();
  }

  /** The progress steps of each CROWN row: the timed runs, and one for the warm-ups. */
  private int crownRuns() {
    return Math.max(1, crownRepeats) + (crownWarmups() > 0 ? 1 : 0);
  }

  /** The untimed runs before the timed ones of a row. */
  private int crownWarmups() {
    return crownRepeats > 1 ? Math.max(0, crownWarmups) : 0;
  }

  /** The CROWN rows: median time and peak memory of each. */
  private void crownRows(NDManager root, Network network, List<CrownRow> rows,
      Map<String, Object> result, ProgressBar bar) {
    for (CrownRow row : rows) {
      String key = "crown_" + row.name();
      boolean resettable = PeakMemory.reset();
      double[] crown = timeCrown(root, network, row.domain(), bar);
      long peak = PeakMemory.peakBytes();
      result.put(key + "_ms", median(crown));
      result.put(key + "_ms_min_max", new double[] {min(crown), max(crown)});
      result.put(key + "_peak_rss_bytes", peak);
      print(String.format("CROWN margins (%s, batch %d, eps 0.1): %.1f ms (median of %d,"
          + " min %.1f, max %.1f), peak RSS %.2f GiB%s%n", row.name().replace('_', ' '),
          crownBatchSize, median(crown), crown.length, min(crown), max(crown),
          peak / (double) (1L << 30), resettable ? "" : " (peak not resettable: process peak)"));
    }
  }

  /**
   * CROWN margin lower bounds of a random batch; fewer repetitions than the forward pass, each
   * one step of {@code bar}.
   */
  private double[] timeCrown(NDManager root, Network network, LinearBoundDomain domain,
      ProgressBar bar) {
    int timed = Math.max(1, crownRepeats);
    double[] ms = new double[timed];
    // Warm-ups end after crownWarmups() runs or WARMUP_SECONDS, whichever comes first: a large
    // network is compiled for after one run.
    long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
    for (int w = 0; w < crownWarmups() && (w == 0 || System.nanoTime() < warmupEnd); w++) {
      crownOnce(root, network, domain);
    }
    if (crownWarmups() > 0) {
      bar.step();
    }
    for (int i = 0; i < timed; i++) {
      ms[i] = crownOnce(root, network, domain);
      bar.step();
    }
    return ms;
  }

  /** One CROWN bound of the margins of random inputs, in milliseconds. */
  private double crownOnce(NDManager root, Network network, LinearBoundDomain domain) {
    try (NDManager scope = root.newSubManager()) {
      NDArray x = scope.randomUniform(0, 1,
          new Shape(crownBatchSize).addAll(network.inputShape()));
      NDArray labels = scope.zeros(new Shape(crownBatchSize), DataType.INT64);
      long start = System.nanoTime();
      domain.lowerBounds(network, InputSet.LinfBall.pixels(x, 0.1),
          new Specification.Margins(labels), BatchStatistics.evaluation()).sum()
          .toType(DataType.FLOAT64, false).getDouble();
      return (System.nanoTime() - start) / 1e6;
    }
  }

  /** The resident-set high-water mark of this process (Linux {@code /proc/self}). */
  private static final class PeakMemory {
    /** Resets the high-water mark to the current RSS; false where that is not possible. */
    static boolean reset() {
      try {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        return true;
      } catch (java.io.IOException | SecurityException e) {
        return false;
      }
    }

    /** {@code VmHWM} in bytes, or -1 when unknown. */
    static long peakBytes() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (java.io.IOException | NumberFormatException e) {
        return -1;
      }
      return -1;
    }
  }

  /** Training steps per method: with --profile one more, the last, profiled and not timed. */
  private int stepsPerMethod() {
    return trainSteps + (profile != null ? 1 : 0);
  }

  /** The bench key of {@code method}. */
  private static String key(TrainingMethod method) {
    return method instanceof PgdTraining ? "pgd10" : method.name();
  }

  /** Where {@code --profile} writes the trace of {@code method}'s profiled step. */
  private Path trace(TrainingMethod method) {
    return profile.resolve(key(method) + "-step.json");
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

  /**
   * Times training steps after the first (but {@code profiled}) and records the live array count
   * after each; each step is one step of the bar.
   */
  private static final class StepTimer implements TrainingListener {
    private final NDManager root;
    private final ProgressBar bar;
    private final int profiled;
    private final List<Integer> liveArrays = new ArrayList<>();
    /** The time of every step after the first (the warm-up), in ms. */
    private final List<Double> stepMs = new ArrayList<>();
    private long previousStepEnd;

    StepTimer(NDManager root, ProgressBar bar, int profiled) {
      this.root = root;
      this.bar = bar;
      this.profiled = profiled;
    }

    @Override
    public void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {
      long now = System.nanoTime();
      if (batch > 0 && batch != profiled) {
        stepMs.add((now - previousStepEnd) / 1e6);
      }
      previousStepEnd = now;
      liveArrays.add(root.getManagedArrays().size());
      bar.step();
    }

    double imagesPerSecond(int batchSize) {
      return stepMs.size() * batchSize / (stepMs.stream().mapToDouble(Double::doubleValue).sum()
          / 1e3);
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
