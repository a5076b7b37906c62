package org.certkit.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessEvaluator.ExampleResult;
import org.certkit.eval.RobustnessReport;
import org.certkit.io.ModelFile;
import org.certkit.net.Network;

/**
 * Certification of a dataset's test examples on Apache Spark: one task per range of examples.
 * The model file's bytes are broadcast once and loaded by each task into its own manager, closed
 * when the task ends; the data are read by each executor from its data root and passed as index
 * ranges; every task returns typed per-example results ({@link ExampleResult}), which are merged
 * by index and aggregated by {@link RobustnessEvaluator#report}, the same code as the
 * single-machine command. Ranges start at multiples of the batch size, so each task sees the
 * batches of one run over the whole set and the results equal it example for example; a task
 * that fails and is retried recomputes the same results, and the merge checks that every index
 * appears exactly once.
 */
public final class SparkCertification {

  private SparkCertification() {}

  /**
   * What runs.
   *
   * @param model the bytes of a certkit checkpoint or ONNX file
   * @param modelName the file's name (tells ONNX from a checkpoint when its bytes do not)
   * @param dataset the test set
   * @param dataRoot the data root on every executor, as a path string
   * @param eps L-infinity radius in pixel space
   * @param method the certifier
   * @param babLimit the time limit per example of {@link Certifier.Method#BAB}
   * @param arithmetic the arithmetic of the linear bounds
   * @param batchSize examples per batch
   * @param examples the first this many test examples (all when larger)
   * @param chunk examples per task, a positive multiple of the batch size
   * @param failFirstAttempt fault injection for tests: the first attempt of the first task
   *     throws, so Spark must retry it
   */
  public record Job(byte[] model, String modelName, DatasetName dataset, String dataRoot,
      double eps, Certifier.Method method, Duration babLimit,
      LinearBoundDomain.SoundArithmetic arithmetic, int batchSize, int examples, int chunk,
      boolean failFirstAttempt) implements Serializable {

    /** Validates sizes. */
    public Job {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(babLimit, "babLimit");
      Objects.requireNonNull(arithmetic, "arithmetic");
      if (batchSize < 1 || examples < 1 || chunk < 1 || chunk % batchSize != 0
          || !(eps >= 0 && eps <= 1)) {
        throw new IllegalArgumentException("need batch size, examples and a chunk that is a"
            + " multiple of the batch size, all positive, and eps in [0, 1]; got batch "
            + batchSize + ", examples " + examples + ", chunk " + chunk + ", eps " + eps);
      }
    }
  }

  /**
   * The outcome.
   *
   * @param report the aggregate, as {@code certkit certify} reports it
   * @param examples per-example results, by index
   * @param tasks the number of tasks (ranges)
   */
  public record Result(RobustnessReport report, List<ExampleResult> examples, int tasks) {}

  /** A range of example indices, {@code [from, to)}. */
  private record Range(int from, int to) implements Serializable {}

  /**
   * Runs the job on {@code spark} and merges the tasks' results.
   *
   * @throws IOException when the driver cannot read the test set (to count its examples)
   */
  public static Result run(JavaSparkContext spark, Job job) throws IOException {
    long start = System.nanoTime();
    int total = Math.min(job.examples(), DatasetStore.load(job.dataset(), Split.TEST,
        Path.of(job.dataRoot())).size());
    List<Range> ranges = new ArrayList<>();
    for (int from = 0; from < total; from += job.chunk()) {
      ranges.add(new Range(from, Math.min(total, from + job.chunk())));
    }
    Broadcast<byte[]> model = spark.broadcast(job.model());
    List<ExampleResult> results = new ArrayList<>(spark.parallelize(ranges, ranges.size())
        .flatMap(range -> certify(job, model.value(), range))
        .collect());
    model.destroy();
    results.sort(Comparator.comparingInt(ExampleResult::index));
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i).index() != i) {
        throw new IllegalStateException("merged results hold index " + results.get(i).index()
            + " at position " + i + " (a task's results were lost or duplicated)");
      }
    }
    if (results.size() != total) {
      throw new IllegalStateException(results.size() + " results for " + total + " examples");
    }
    RobustnessReport report = evaluator(job).report(results, job.eps(),
        (System.nanoTime() - start) / 1e9);
    return new Result(report, List.copyOf(results), ranges.size());
  }

  private static RobustnessEvaluator evaluator(Job job) {
    return new RobustnessEvaluator(null, job.method(), job.batchSize(), job.babLimit(),
        job.arithmetic());
  }

  /** Test sets already read by this executor, by data root and dataset. */
  private static final Map<String, ImageDataset> TEST_SETS = new ConcurrentHashMap<>();

  /** One task: certifies the range with a network loaded from the broadcast bytes. */
  private static Iterator<ExampleResult> certify(Job job, byte[] model, Range range)
      throws IOException {
    TaskContext task = TaskContext.get();
    if (job.failFirstAttempt() && task != null && task.partitionId() == 0
        && task.attemptNumber() == 0) {
      throw new IllegalStateException("injected failure of the first attempt of task 0");
    }
    ImageDataset test = TEST_SETS.computeIfAbsent(job.dataRoot() + "/" + job.dataset(), k -> {
      try {
        return DatasetStore.load(job.dataset(), Split.TEST, Path.of(job.dataRoot()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Path directory = Files.createTempDirectory("certkit-task");
    Path file = directory.resolve(job.modelName());
    try (NDManager manager = NDManager.newBaseManager()) {
      Files.write(file, model);
      try (Network network = ModelFile.load(file, job.dataset().inputFormat(), manager)) {
        return evaluator(job).examples(network, test, range.from(), range.to(), job.eps(),
            manager, done -> { }).iterator();
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(directory);
    }
  }
}
