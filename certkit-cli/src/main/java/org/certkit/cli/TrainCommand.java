package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.certkit.attack.PgdAttack;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.CheckpointWriter;
import org.certkit.train.ColtTraining;
import org.certkit.train.CrownIbpTraining;
import org.certkit.train.EpochMetrics;
import org.certkit.train.ExpectedBoundsTraining;
import org.certkit.train.IbpTraining;
import org.certkit.train.MetricsWriter;
import org.certkit.train.MtlIbpTraining;
import org.certkit.train.PgdTraining;
import org.certkit.train.SabrTraining;
import org.certkit.train.StandardTraining;
import org.certkit.train.StapsTraining;
import org.certkit.train.TapsTraining;
import org.certkit.train.TestSetEvaluation;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingMethod;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code certkit train}: trains a network with a chosen method and writes checkpoint, metrics, plot. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train a network (standard, PGD, IBP or expected-bound training).",
        "Defaults follow the first paper's appendix C.3 (Shi et al. 2021 recipe): MNIST 70 epochs,"
            + " eps ramp over 20, lr 5e-4 decayed x0.2 at 50 and 60, batch 256; CIFAR-10 160"
            + " epochs. --epochs scales every milestone proportionally.",
        "Writes OUT/model.ckpt (after every epoch), OUT/metrics.json and OUT/training.png.",
        "--config RUN.json takes the hyper-parameters from a file instead (such as the config of"
            + " an earlier run's metrics.json)."})
final class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;
  @Mixin ModelOptions model;
  @Mixin DeterminismOption determinism;

  @Option(names = "--config", paramLabel = "RUN.json",
      description = "Training hyper-parameters as JSON: the config object of a run's"
          + " metrics.json, such as {\"method\": {\"type\": \"ibp\", \"robustWeight\": 1,"
          + " \"regularizerWeight\": 0.5}, \"eps\": 0.1, \"epochs\": 70, ...}. The options of"
          + " the group below are then rejected; data, model and output options still apply.")
  Path configFile;

  @ArgGroup(exclusive = false, heading = "Training hyper-parameters (not with --config)%n")
  Recipe recipe = new Recipe();

  @Option(names = "--train-samples",
      description = "Use only the first N training images (default: all).")
  Integer trainSamples;

  @Option(names = "--eval-samples", defaultValue = "1000",
      description = "Test images for the per-epoch clean and certified accuracy, 0 for none"
          + " (default: ${DEFAULT-VALUE}).")
  int evalSamples;

  @Option(names = "--out", description = "Output directory (default: runs/ARCH-METHOD-EPS).")
  Path out;

  @Option(names = "--resume", description = "Continue from OUT/model.ckpt.")
  boolean resume;

  /** The hyper-parameter options, which build a {@link TrainingConfig} from a recipe. */
  static final class Recipe {
    @Option(names = "--method", defaultValue = "ibp",
        description = "standard, pgd, ibp, crown-ibp, sabr, mtl-ibp, taps, staps, colt or"
            + " expected-bounds (default: ${DEFAULT-VALUE}). sabr, mtl-ibp, taps, staps and"
            + " colt attack with the PGD options; staps takes --sabr-lambda and the taps"
            + " options.")
    String method = "ibp";

    @Option(names = "--eps", defaultValue = "0.1",
        description = "Target training epsilon in [0,1] pixel space (default: ${DEFAULT-VALUE}).")
    double eps = 0.1;

    @Option(names = "--epochs", description = "Number of epochs (default: the recipe's).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Batch size (default: the recipe's).")
    Integer batchSize;

    @Option(names = "--lr", description = "Initial learning rate (default: 5e-4).")
    Double lr;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: 0).")
    long seed;

    @ArgGroup(exclusive = false, heading = "PGD training (not with --config)%n")
    PgdOptions pgd = new PgdOptions();

    @Option(names = "--robust-weight", defaultValue = "1",
        description = "IBP: weight of the robust loss vs clean loss (default: ${DEFAULT-VALUE}).")
    double robustWeight = 1;

    @Option(names = "--reg-weight", defaultValue = "0.5",
        description = "IBP: warm-up regulariser weight lambda (default: ${DEFAULT-VALUE}).")
    double regWeight = 0.5;

    @Option(names = "--sabr-lambda", defaultValue = "0.4",
        description = "sabr: the small box's share of the eps-ball's radius, 1 = IBP, 0 = PGD"
            + " (default: ${DEFAULT-VALUE}).")
    double sabrLambda = 0.4;

    @Option(names = "--mtl-alpha", defaultValue = "0.5",
        description = "mtl-ibp: weight of the IBP loss in the robust loss, 1 = IBP, 0 = PGD"
            + " (default: ${DEFAULT-VALUE}).")
    double mtlAlpha = 0.5;

    @Option(names = "--taps-classifier", defaultValue = "3",
        description = "taps: layers of the classifier that PGD explores inside the latent box"
            + " (default: ${DEFAULT-VALUE}); the PGD steps come from --pgd-steps.")
    int tapsClassifier = 3;

    @Option(names = "--taps-gradient-scale", defaultValue = "4",
        description = "taps: factor on the TAPS loss's gradient (default: ${DEFAULT-VALUE}).")
    double tapsGradientScale = 4;

    @Option(names = "--temperature", defaultValue = "1",
        description = "ibp, expected-bounds: logit temperature T, the logits (and bounds)"
            + " divided by T before the loss (default: ${DEFAULT-VALUE}).")
    double temperature = 1;

    @Option(names = "--kappa", defaultValue = "1",
        description = "expected-bounds: weight of the bound loss (default: ${DEFAULT-VALUE}).")
    double kappa = 1;

    @Option(names = "--weight-decay", defaultValue = "0",
        description = "L2 weight decay lambda, coupled as in torch's Adam(weight_decay): lambda w"
            + " is added to every gradient (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    /** The method named by {@code --method}, with its options. */
    TrainingMethod method() {
      return switch (method.toLowerCase(Locale.ROOT)) {
        case "standard" -> new StandardTraining();
        case "pgd" -> new PgdTraining(attack());
        case "ibp" -> new IbpTraining(robustWeight, regWeight, temperature);
        case "crown-ibp" -> new CrownIbpTraining(robustWeight);
        case "sabr" -> new SabrTraining(sabrLambda, attack(), robustWeight, regWeight);
        case "mtl-ibp" -> new MtlIbpTraining(mtlAlpha, attack(), robustWeight, regWeight);
        case "taps" -> taps();
        case "staps" -> new StapsTraining(sabrLambda, attack(), taps());
        case "colt" -> ColtTraining.withAttack(attack(), pgd.steps, pgd.stepSize);
        case "expected-bounds" -> new ExpectedBoundsTraining(kappa, temperature);
        default -> throw new IllegalArgumentException("unknown method '" + method
            + "'; known: standard, pgd, ibp, crown-ibp, sabr, mtl-ibp, taps, staps, colt,"
            + " expected-bounds");
      };
    }

    private TapsTraining taps() {
      return new TapsTraining(tapsClassifier, pgd.steps, 0.5, tapsGradientScale, robustWeight,
          regWeight);
    }

    private PgdAttack attack() {
      return new PgdAttack(pgd.steps, pgd.stepSize, pgd.restarts, true);
    }

    /** The dataset's recipe scaled to {@code --epochs}, changed by the options given. */
    TrainingConfig config(DatasetName dataset) {
      TrainingMethod m = method();
      if (eps < 0 || eps > 1) {
        throw new IllegalArgumentException("--eps must be in [0, 1] (pixel space), got " + eps);
      }
      if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
        throw new IllegalArgumentException("--weight-decay must be finite and >= 0, got "
            + weightDecay);
      }
      boolean cifar = dataset == DatasetName.CIFAR10;
      int n = epochs != null ? epochs : cifar ? 160 : 70;
      TrainingConfig.Builder config = (cifar ? TrainingConfig.cifar10(m, eps, n, seed)
          : TrainingConfig.mnist(m, eps, n, seed)).toBuilder().weightDecay(weightDecay);
      if (lr != null) {
        config.initialLearningRate(lr);
      }
      if (batchSize != null) {
        config.batchSize(batchSize);
      }
      return config.build();
    }
  }

  /** PGD attack settings used by PGD training. */
  static final class PgdOptions {
    @Option(names = "--pgd-steps", defaultValue = "10", description = "Steps (default: 10).")
    int steps = 10;

    @Option(names = "--pgd-step-size", defaultValue = "0.25",
        description = "Step size as a fraction of eps (default: 0.25).")
    double stepSize = 0.25;

    @Option(names = "--pgd-restarts", defaultValue = "1", description = "Restarts (default: 1).")
    int restarts = 1;
  }

  @Override
  public Integer call() throws Exception {
    determinism.check();
    TrainingConfig config = config();
    model.spec();
    if (resume && out == null) {
      throw new IllegalArgumentException("--resume needs --out DIR holding model.ckpt");
    }
    Path dir = out != null ? out
        : Path.of("runs", model.arch + "-" + config.method().name() + "-" + config.eps());
    Files.createDirectories(dir);
    Path checkpoint = dir.resolve("model.ckpt");
    ImageDataset train = data.load(Split.TRAIN);
    if (trainSamples != null) {
      train = train.subset(trainSamples);
    }
    ImageDataset evaluation = evalSamples > 0 ? data.load(Split.TEST).subset(evalSamples) : null;
    System.out.println(result(config, dir, checkpoint, train, evaluation));
    return 0;
  }

  private String result(TrainingConfig config, Path dir, Path checkpoint, ImageDataset train,
      ImageDataset evaluation) throws Exception {
    Trainer trainer = new Trainer(config).withListeners(
        new ProgressListener(config.epochs(), System.out, progress.quiet), new CheckpointWriter(checkpoint),
        new MetricsWriter(dir.resolve("metrics.json")));
    if (evaluation != null) {
      trainer = trainer.withEvaluation(new TestSetEvaluation(evaluation));
    }
    List<EpochMetrics> history;
    try (NDManager manager = NDManager.newBaseManager()) {
      if (resume) {
        Checkpoint saved = Checkpoint.load(checkpoint, manager);
        try (Network network = saved.network()) {
          history = trainer.resume(saved, train);
        }
      } else {
        try (Network network = Architectures.build(model.spec(), data.name().inputFormat(),
            config.initialization(), config.seed(), manager)) {
          System.out.print(network.summary());
          history = trainer.train(network, train);
        }
      }
    }
    Plots.trainingCurves(history, dir.resolve("training.png"));
    EpochMetrics last = history.getLast();
    return String.format("trained %s with %s: test accuracy %s, IBP-certified %s at eps %.4f;"
            + " wrote %s, %s, %s", model.arch, config.method().name(),
        ProgressListener.percent(last.testAccuracy()),
        ProgressListener.percent(last.testCertifiedAccuracy()), config.eps(), checkpoint,
        dir.resolve("metrics.json"), dir.resolve("training.png"));
  }

  /**
   * The run's configuration: read from {@code --config}, or built from the recipe options. Both
   * at once are rejected, naming the options given, so that no file is half overridden.
   */
  TrainingConfig config() throws IOException {
    if (configFile == null) {
      return recipe.config(data.name());
    }
    ParseResult parsed = spec.commandLine().getParseResult();
    List<String> given = spec.argGroups().stream()
        .filter(g -> g.typeInfo().getType() == Recipe.class)
        .flatMap(g -> g.allOptionsNested().stream())
        .filter(parsed::hasMatchedOption)
        .map(OptionSpec::longestName)
        .toList();
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(String.join(", ", given) + " cannot be combined with"
          + " --config " + configFile + ": the file sets every training hyper-parameter; edit it"
          + " instead");
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(configFile.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("--config " + configFile + ": " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    }
    try {
      return TrainingConfig.fromJson(json);
    } catch (JsonMappingException e) {
      String at = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
          : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
      throw new IllegalArgumentException("--config " + configFile + ": " + e.getOriginalMessage()
          + (at.isEmpty() ? "" : " (at " + at + ")"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--config " + configFile + ": " + e.getMessage());
    }
  }
}
