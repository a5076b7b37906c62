package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.io.Json;
import org.certkit.milp.LinearProgramLeaf;
import org.certkit.net.Network;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options and the run shared by {@code eval}, {@code certify} and {@code attack}. */
final class EvaluationOptions {

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;

  @Mixin ModelFileOptions model;

  @Option(names = "--eps", defaultValue = "0.1",
      description = "L-infinity radius in [0,1] pixel space (default: ${DEFAULT-VALUE}).")
  double eps;

  @Option(names = "--n", description = "Evaluate the first N test images (default: all).")
  Integer n;

  @Option(names = "--batch-size", defaultValue = "500",
      description = "Examples per batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--json", description = "Also write the results to this JSON file.")
  Path json;

  @Option(names = "--indices", paramLabel = "LIST",
      description = "Test images to use instead of the first --n, such as 3,17,100-199.")
  String indices;

  @Option(names = "--bab-timeout", paramLabel = "SECONDS",
      description = "With --method bab: the branch-and-bound time limit per example (default:"
          + " ${DEFAULT-VALUE}).")
  double babTimeout = 60;

  @Option(names = "--arithmetic", paramLabel = "TYPE", defaultValue = "float64",
      description = "Arithmetic of the sound linear bounds (CROWN-IBP, CROWN, alpha-CROWN, branch"
          + " and bound): float64, or float32: faster on convolutional networks and in less"
          + " memory, bounds looser, more so on deep networks near their margins (docs/results.md)."
          + " Interval bounds stay float64 (default: ${DEFAULT-VALUE}).")
  LinearBoundDomain.SoundArithmetic arithmetic;

  @Option(names = "--per-example", paramLabel = "FILE.csv",
      description = "Also write one row per example: index, label, correct, pgd_survives,"
          + " verdict, method (that decided), lowest_margin_bound, seconds.")
  Path perExample;

  /**
   * Runs the evaluation with the given attack and certification method (either may be null:
   * none) and prints and writes the report.
   */
  RobustnessReport run(PgdAttack attack, Certifier.Method certify) throws Exception {
    check();
    int[] chosen = indices == null ? null : parseIndices(indices);
    try (NDManager manager = NDManager.newBaseManager();
        Network network = model.load(data, manager)) {
      ImageDataset test = data.load(Split.TEST);
      return evaluate(network, chosen == null ? test : test.select(chosen), chosen, attack,
          certify, manager);
    }
  }

  /** Fails, naming the option, when a value is out of range or two exclude each other. */
  void check() {
    if (!(eps >= 0 && eps <= 1)) {
      throw new IllegalArgumentException("--eps must be in [0, 1] (pixel space), got " + eps);
    }
    if (!(babTimeout > 0)) {
      throw new IllegalArgumentException("--bab-timeout must be positive, got " + babTimeout);
    }
    if (n != null && n < 1) {
      throw new IllegalArgumentException("--n must be >= 1, got " + n);
    }
    if (n != null && indices != null) {
      throw new IllegalArgumentException("give --n or --indices, not both");
    }
  }

  /** The branch-and-bound limit per example of {@code --bab-timeout}. */
  java.time.Duration babLimit() {
    return java.time.Duration.ofMillis((long) (babTimeout * 1000));
  }

  /** {@code 3,17,100-199} as the indices it names, in order (ranges inclusive). */
  static int[] parseIndices(String list) {
    java.util.List<Integer> out = new java.util.ArrayList<>();
    for (String part : list.split(",")) {
      String p = part.trim();
      try {
        int dash = p.indexOf('-', 1);
        int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
        int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
        if (from < 0 || to < from) {
          throw new IllegalArgumentException("--indices: '" + p + "' is not a range a-b with"
              + " 0 <= a <= b");
        }
        for (int i = from; i <= to; i++) {
          out.add(i);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--indices: '" + p + "' is not an index or a range"
            + " such as 100-199");
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private RobustnessReport evaluate(Network network, ImageDataset test, int[] chosen,
      PgdAttack attack, Certifier.Method certify, NDManager manager) throws java.io.IOException {
    int count = n == null ? test.size() : Math.min(n, test.size());
    try (ProgressBar bar = progress.bar("evaluating", count)) {
      List<RobustnessEvaluator.ExampleResult> results = new ArrayList<>();
      RobustnessReport report = new RobustnessEvaluator(attack, certify, batchSize, babLimit(),
          arithmetic, new LinearProgramLeaf())
          .evaluate(network, test, count, eps, manager, bar::stepTo, results::add);
      bar.close();
      write(report, results, chosen, attack != null, json, perExample);
      return report;
    }
  }

  /**
   * Prints the report, and writes it as JSON and the per-example CSV when asked (the files of
   * {@code certify} and {@code spark certify}).
   *
   * @param chosen the dataset index of each evaluated position, or null when they are the same
   * @param attacked whether a PGD attack ran (else the pgd_survives column is empty)
   */
  static void write(RobustnessReport report, List<RobustnessEvaluator.ExampleResult> results,
      int[] chosen, boolean attacked, Path json, Path perExample) throws IOException {
    print(report);
    if (json != null) {
      Json.write(json, report);
    }
    if (perExample != null) {
      StringBuilder rows = new StringBuilder(
          "index,label,correct,pgd_survives,verdict,method,lowest_margin_bound,seconds\n");
      for (RobustnessEvaluator.ExampleResult e : results) {
        rows.append(String.format(java.util.Locale.ROOT, "%d,%d,%b,%s,%s,%s,%s,%.6f%n",
            chosen == null ? e.index() : chosen[e.index()], e.label(), e.correct(),
            attacked ? Boolean.toString(e.pgdSurvives()) : "", e.verdict(), e.method(),
            Double.isNaN(e.lowestBound()) ? "" : Double.toString(e.lowestBound()),
            e.seconds()));
      }
      org.certkit.io.AtomicFiles.write(perExample,
          rows.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  static void print(RobustnessReport r) {
    System.out.printf("samples %d, eps %.4f%n", r.samples(), r.eps());
    System.out.printf("  clean accuracy          %6.2f%%%n", 100 * r.cleanAccuracy());
    if (!Double.isNaN(r.pgdAccuracy())) {
      System.out.printf("  PGD accuracy            %6.2f%%  (%d steps, %d restarts)%n",
          100 * r.pgdAccuracy(), r.pgdSteps(), r.pgdRestarts());
      System.out.printf("  PGD robustness          %6.2f%%  (prediction unchanged, correct or"
          + " not)%n", 100 * r.pgdRobustness());
    }
    if (!Double.isNaN(r.certifiedAccuracy())) {
      System.out.printf("  certified accuracy      %6.2f%%  (%s)%n", 100 * r.certifiedAccuracy(),
          r.soundness());
    }
    if (r.certifiedButAttacked() > 0) {
      System.out.printf("  WARNING: %d examples certified yet attacked: please report this%n",
          r.certifiedButAttacked());
    }
    System.out.printf("  %.1f s%n", r.seconds());
  }
}
