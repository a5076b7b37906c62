package org.certkit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.certkit.certify.Certifier;
import org.certkit.data.Split;
import org.certkit.spark.SparkCertification;
import org.certkit.spark.SparkTasks;
import org.certkit.verify.PropertyVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code certkit spark}: certification spread over a Spark cluster, in-process by default. */
@Command(name = "spark", mixinStandardHelpOptions = true,
    description = "Runs certkit jobs on Apache Spark (local[N] in-process by default; a cluster"
        + " through spark-submit with the distribution's jars).",
    subcommands = {SparkCommand.Certify.class, SparkCommand.Verify.class})
final class SparkCommand {

  /**
   * A Spark context named {@code app}: the master of spark-submit when it set one, else
   * {@code master}; no web UI, warnings only in the log.
   */
  static JavaSparkContext context(String app, String master) {
    JavaSparkContext spark = new JavaSparkContext(new SparkConf().setAppName(app)
        .setIfMissing("spark.master", master).set("spark.ui.enabled", "false"));
    spark.setLogLevel("WARN");
    return spark;
  }

  /**
   * A bar over the {@code tasks} tasks of the next jobs on {@code spark}, stepped on the driver
   * whenever a task succeeds (a failed attempt does not count; its retry does).
   */
  static ProgressBar taskBar(JavaSparkContext spark, String name, long tasks, boolean quiet) {
    ProgressBar bar = ProgressOptions.bar(name, tasks, quiet);
    spark.sc().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo().successful()) {
          bar.step();
        }
      }
    });
    return bar;
  }

  /** {@code certkit spark certify}: the results of {@code certify}, one task per chunk. */
  @Command(name = "certify", mixinStandardHelpOptions = true,
      description = {"Certified accuracy of a model on the test set, one Spark task per chunk"
          + " of examples; the per-example results equal those of certkit certify.",
          "Every executor reads the data from --data-dir: on a cluster, a path they all see."})
  static final class Certify implements Callable<Integer> {

    @Mixin EvaluationOptions options;

    @Option(names = "--method", defaultValue = "ibp",
        converter = CertifyCommand.MethodConverter.class,
        description = "As for certify (default: ${DEFAULT-VALUE}).")
    Certifier.Method method;

    @Option(names = "--chunk", defaultValue = "1000",
        description = "Examples per task, a multiple of --batch-size (default:"
            + " ${DEFAULT-VALUE}).")
    int chunk;

    @Option(names = "--master", defaultValue = "local[2]",
        description = "Spark master URL (default: ${DEFAULT-VALUE}); spark-submit's wins.")
    String master;

    @Override
    public Integer call() throws Exception {
      options.check();
      if (options.indices != null) {
        throw new IllegalArgumentException("spark certify takes the first --n test images;"
            + " --indices is for certify");
      }
      int examples = Math.min(options.n == null ? Integer.MAX_VALUE : options.n,
          options.data.load(Split.TEST).size());
      Path file = options.model.file;
      SparkCertification.Job job = new SparkCertification.Job(Files.readAllBytes(file),
          file.getFileName().toString(), options.data.name(),
          options.data.root().toAbsolutePath().toString(), options.eps, method,
          options.babLimit(), options.arithmetic, options.batchSize,
          options.n == null ? Integer.MAX_VALUE : options.n, chunk, false);
      try (JavaSparkContext spark = context("certkit spark certify", master)) {
        SparkCertification.Result result;
        try (ProgressBar bar = taskBar(spark, "chunks", (examples + chunk - 1) / chunk,
            options.progress.quiet)) {
          result = SparkCertification.run(spark, job);
        }
        System.out.printf("%d tasks on %s%n", result.tasks(), spark.master());
        EvaluationOptions.write(result.report(), result.examples(), null, false,
            options.json, options.perExample);
      }
      return 0;
    }
  }

  /** {@code certkit spark verify --instances}: a benchmark list, one Spark task per instance. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Answers every instance of a VNN-COMP list (onnx,vnnlib,timeout per line,"
          + " paths relative to the list) as certkit verify --instances does, one Spark task"
          + " per instance; writes the same results CSV and summary.",
          "Every executor reads the files from their paths: on a cluster, a directory they all"
          + " see."})
  static final class Verify implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ProgressOptions progress;

    @Option(names = "--instances", required = true, description = "The benchmark list.")
    Path instances;

    @Option(names = "--results", description = "Results CSV (default: results.csv beside the"
        + " list).")
    Path results;

    @Option(names = "--overwrite", description = "Replace an existing results file.")
    boolean overwrite;

    @Option(names = "--master", defaultValue = "local[2]",
        description = "Spark master URL (default: ${DEFAULT-VALUE}); spark-submit's wins.")
    String master;

    @Override
    public Integer call() throws Exception {
      Path base = instances.toAbsolutePath().getParent();
      List<String[]> rows = VerifyCommand.readInstances(instances, spec.commandLine());
      Path out = VerifyCommand.resultsFile(results != null ? results
          : base.resolve("results.csv"), overwrite, spec.commandLine());
      List<ArrayList<String>> items = new ArrayList<>();
      for (String[] r : rows) {
        items.add(new ArrayList<>(List.of(base.resolve(r[0]).toString(),
            base.resolve(r[1]).toString(), r[2])));
      }
      List<VerifyCommand.Answer> answers;
      long start = System.nanoTime();
      try (JavaSparkContext spark = context("certkit spark verify", master)) {
        try (ProgressBar bar = taskBar(spark, "instances", items.size(), progress.quiet)) {
          answers = SparkTasks.map(spark, items, item -> VerifyCommand.answer(
              PropertyVerifier.standard(), Path.of(item.get(0)), Path.of(item.get(1)),
              Double.parseDouble(item.get(2)), false, null));
        }
        System.out.printf(Locale.ROOT, "%d tasks on %s, wall %.1f s%n", items.size(),
            spark.master(), (System.nanoTime() - start) / 1e9);
      }
      Iterator<VerifyCommand.Answer> next = answers.iterator();
      return VerifyCommand.writeResults(instances, rows, List.of(), out, null,
          r -> next.next());
    }
  }
}
