package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.io.Json;
import org.certkit.io.Provenance;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.CheckpointWriter;
import org.certkit.train.EpochMetrics;
import org.certkit.train.IbpTraining;
import org.certkit.train.MetricsWriter;
import org.certkit.train.TestSetEvaluation;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code certkit quickstart}: fetches MNIST, trains CNN3 with IBP, then measures clean, PGD and
 * sound IBP-certified accuracy on the whole test set.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Fetch MNIST, train a small CNN (CNN3) with IBP, certify it on the full test"
        + " set and print a summary.",
        "The schedule is the MNIST recipe scaled to --epochs; the loss mixes the IBP loss and the"
            + " clean loss equally (--robust-weight), which keeps a small CNN's clean accuracy"
            + " above 97%%."})
final class QuickstartCommand implements Callable<Integer> {

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;

  @Mixin ModelOptions model;

  @Mixin DeterminismOption determinism;

  @Option(names = "--epochs", defaultValue = "30",
      description = "Training epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--train-eps", defaultValue = "0.1",
      description = "Training epsilon (default: ${DEFAULT-VALUE}).")
  double trainEps;

  @Option(names = "--eps", defaultValue = "0.1",
      description = "Certified and attacked epsilon (default: ${DEFAULT-VALUE}).")
  double eps;

  @Option(names = "--lr", defaultValue = "5e-4",
      description = "Initial learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--robust-weight", defaultValue = "0.5",
      description = "Weight of the IBP loss against the clean loss (default: ${DEFAULT-VALUE}).")
  double robustWeight;

  @Option(names = "--pgd-steps", defaultValue = "20",
      description = "PGD steps of the evaluation (default: ${DEFAULT-VALUE}).")
  int pgdSteps;

  @Option(names = "--n", description = "Test images to evaluate (default: all 10000).")
  Integer n;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: 0).")
  long seed;

  @Option(names = "--out", defaultValue = "runs/quickstart",
      description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--json", description = "Write the summary to this JSON file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    determinism.check();
    long start = System.nanoTime();
    if (!(eps >= 0 && eps <= 1 && trainEps >= 0 && trainEps <= 1)) {
      throw new IllegalArgumentException("epsilons must be in [0, 1] (pixel space)");
    }
    ImageDataset train = data.load(Split.TRAIN);
    ImageDataset test = data.load(Split.TEST);
    TrainingConfig config = TrainingConfig.mnist(new IbpTraining(robustWeight,
        IbpTraining.shi().regularizerWeight()), trainEps, epochs, seed).toBuilder()
        .initialLearningRate(lr).build();
    Files.createDirectories(out);
    RobustnessReport report;
    List<EpochMetrics> history;
    try (NDManager manager = NDManager.newBaseManager();
        Network network = Architectures.build(model.spec(), data.name().inputFormat(),
            config.initialization(), seed, manager)) {
      System.out.print(network.summary());
      System.out.printf("training with IBP at eps %.3f for %d epochs (ramp %d, lr decays at %s)%n",
          trainEps, epochs, config.epsRampEpochs(),
          java.util.Arrays.toString(config.learningRate().decayEpochs()));
      Trainer trainer = new Trainer(config)
          .withEvaluation(new TestSetEvaluation(test.subset(1000)))
          .withListeners(new ProgressListener(epochs, System.out, progress.quiet),
              new CheckpointWriter(out.resolve("model.ckpt")),
              new MetricsWriter(out.resolve("metrics.json")));
      history = trainer.train(network, train);
      int count = n == null ? test.size() : Math.min(n, test.size());
      try (ProgressBar bar = progress.bar("certifying", count)) {
        report = new RobustnessEvaluator(PgdAttack.withSteps(pgdSteps, 1), Certifier.Method.IBP, 500)
            .evaluate(network, test, count, eps, manager, bar::stepTo);
      }
    }
    Plots.trainingCurves(history, out.resolve("training.png"));
    Json.write(out.resolve("certification.json"), report);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println();
    System.out.println("quickstart summary (MNIST test set)");
    EvaluationOptions.print(report);
    int skipped = history.stream().mapToInt(EpochMetrics::skippedSteps).sum();
    if (skipped > 0) {
      System.out.printf("training skipped %d steps with a non-finite loss or gradient%n", skipped);
    }
    System.out.printf("total %.1f s; checkpoint %s%n", seconds, out.resolve("model.ckpt"));
    if (json != null) {
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("clean_accuracy", report.cleanAccuracy());
      summary.put("ibp_certified_accuracy", report.certifiedAccuracy());
      summary.put("pgd_accuracy", report.pgdAccuracy());
      summary.put("eps", eps);
      summary.put("train_eps", trainEps);
      summary.put("test_samples", report.samples());
      summary.put("seconds", seconds);
      summary.put("epochs", epochs);
      summary.put("skipped_steps", skipped);
      summary.put("architecture", model.spec());
      summary.put("pgd_steps", pgdSteps);
      summary.put("certified_but_attacked", report.certifiedButAttacked());
      summary.put("soundness", report.soundness());
      summary.put("config", config);
      summary.put("provenance", Provenance.current());
      Json.write(json, summary);
    }
    return 0;
  }
}
