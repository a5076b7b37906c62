package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.experiments.TrainingSweepExperiment.Axis;
import org.certkit.experiments.TrainingSweepExperiment.Cell;
import org.certkit.experiments.TrainingSweepExperiment.Measure;
import org.certkit.experiments.TrainingSweepExperiment.Ordering;
import org.certkit.experiments.TrainingSweepExperiment.Parameters;
import org.certkit.experiments.TrainingSweepExperiment.Shape;
import org.certkit.experiments.TrainingSweepExperiment.Trend;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.train.ColtTraining;
import org.certkit.train.IbpTraining;
import org.certkit.train.PgdTraining;
import org.certkit.train.SabrTraining;
import org.certkit.train.StapsTraining;
import org.certkit.train.TapsTraining;
import org.certkit.train.TrainingMethod;

/**
 * The training sweeps of the first paper's section 4 and appendix D (Mao et al.), as
 * {@link TrainingSweepExperiment}s. Full scale follows the paper (CIFAR-10, whose files must be
 * placed by hand, and the CNN7 recipe of 160 epochs); small scale runs here on MNIST with
 * narrower or smaller networks, fewer epochs and 500 test images, as each experiment's notes say.
 * The MNIST hyper-parameters follow {@link TrainedTightnessExperiment#method}.
 */
final class FirstPaperSweeps {

  private FirstPaperSweeps() {}

  private static final double CIFAR_EPS = 2.0 / 255;

  /** The attack of PGD, SABR and STAPS training: CTBench's step rule, one restart. */
  private static PgdAttack trainingAttack(int steps) {
    return new PgdAttack(steps, Math.max(0.25, 2.0 / steps), 1, true);
  }

  private static Architectures.Spec arch(String name, double width) {
    return new Architectures.Spec(name, width, new int[] {256, 256});
  }

  /** {@code s1-fig4}: depth (CNN3 to CNN13) and width (CNN7 x0.5 to x16) after IBP training. */
  static TrainingSweepExperiment depthAndWidth() {
    return new TrainingSweepExperiment("s1-fig4",
        "Depth and width vs train-set IBP-certified accuracy and tightness after IBP training",
        "Mao et al., Understanding Certified Training with IBP: Figure 4",
        scale -> {
          boolean full = scale == Scale.FULL;
          double depthWidth = full ? 1 : 0.25;
          double[] widths = full ? new double[] {0.5, 1, 2, 4, 8, 16}
              : new double[] {0.125, 0.25, 0.5, 1};
          double eps = full ? CIFAR_EPS : 0.1;
          List<Cell> cells = new ArrayList<>();
          String[] depths = {"cnn3-bn", "cnn5-bn", "cnn7", "cnn9", "cnn11", "cnn13"};
          for (String name : depths) {
            int layers = Integer.parseInt(name.replaceAll("[^0-9]", ""));
            cells.add(new Cell("depth", "ibp", layers, arch(name, depthWidth),
                IbpTraining.shi(), eps));
          }
          for (double w : widths) {
            cells.add(new Cell("width", "ibp", w, arch("cnn7", w), IbpTraining.shi(), eps));
          }
          // Six epochs at small scale: the recipe scaled to them ramps eps over two (156 steps
          // of 20,000 images); over one (3 epochs) CNN5-BN at 0.25 and 0.5 of the width
          // collapsed to 27% and 39% test accuracy, at six it reaches 88.6% (71.8% certified).
          return new Parameters(full ? DatasetName.CIFAR10 : DatasetName.MNIST, full ? 160 : 6,
              full ? 0 : 20_000, full ? 10000 : 500, full ? 10000 : 1000, full ? 50 : 20,
              full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("depth", "layers", false),
                  new Axis("width", "width multiplier of CNN7", true)),
              cells,
              List.of(new Trend("tightness_valley_in_depth", "depth", "ibp", Measure.TIGHTNESS,
                      Shape.VALLEY),
                  new Trend("tightness_falls_with_width", "width", "ibp", Measure.TIGHTNESS,
                      Shape.FALLING),
                  new Trend("train_certified_rises_with_width", "width", "ibp",
                      Measure.TRAIN_CERTIFIED, Shape.RISING)), List.of());
        },
        List.of("The paper trains on CIFAR-10 at eps 2/255 (full scale); small scale trains on"
                + " 20,000 MNIST images at eps 0.1 for 6 epochs, the depth series at 0.25 of the"
                + " width (CNN3-BN 4/8 channels, CNN7 16/32) and the width series of CNN7 at 1/8"
                + " to 1.",
            "The paper reports tightness falling with depth to a minimum at 7 layers and"
                + " rising after it, and falling gradually with width while train-set"
                + " IBP-certified accuracy rises."));
  }

  /** {@code s1-fig5}: CNN3 trained by IBP, PGD and SABR over a range of epsilons. */
  static TrainingSweepExperiment epsilonSweep() {
    return new TrainingSweepExperiment("s1-fig5",
        "CNN3 trained with IBP, PGD and SABR across epsilon: accuracy, certified accuracy,"
            + " tightness",
        "Mao et al., Understanding Certified Training with IBP: Figure 5",
        scale -> {
          boolean full = scale == Scale.FULL;
          double[] eps = full ? new double[] {1e-5, 1e-4, 1e-3, 5e-3, 1e-2, 2e-2, 5e-2}
              : new double[] {1e-5, 1e-3, 1e-2, 5e-2, 0.2};
          int steps = full ? 8 : 5;
          List<Cell> cells = new ArrayList<>();
          for (String method : List.of("ibp", "sabr", "pgd")) {
            for (double e : eps) {
              TrainingMethod m = switch (method) {
                case "ibp" -> IbpTraining.shi();
                case "sabr" -> new SabrTraining(e <= 0.1 ? 0.4 : 0.6, trainingAttack(steps), 0.7,
                    0.5);
                default -> new PgdTraining(trainingAttack(steps));
              };
              cells.add(new Cell("eps", method, e, arch("cnn3", 1), m, e));
            }
          }
          return new Parameters(full ? DatasetName.CIFAR10 : DatasetName.MNIST, full ? 160 : 3,
              0, full ? 10000 : 500, 0, full ? 50 : 20,
              full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("eps", "epsilon", true)), cells,
              List.of(new Trend("ibp_tightness_rises_with_eps", "eps", "ibp", Measure.TIGHTNESS,
                      Shape.RISING),
                  new Trend("sabr_tightness_rises_with_eps", "eps", "sabr", Measure.TIGHTNESS,
                      Shape.RISING),
                  new Trend("ibp_clean_falls_with_eps", "eps", "ibp", Measure.CLEAN,
                      Shape.FALLING)),
              List.of(new Ordering("tightness_ibp_above_sabr_above_pgd", "eps",
                  Measure.TIGHTNESS, List.of("ibp", "sabr", "pgd"))));
        },
        List.of("The paper trains CNN3 on CIFAR-10 for eps in [1e-5, 5e-2] (full scale);"
                + " small scale trains on all MNIST images for 3 epochs at eps 1e-5 to 0.2"
                + " (MNIST needs larger radii for the same effect).",
            "The paper reports IBP and SABR tightness rising with eps to 0.98 at 5e-2 while"
                + " PGD's barely moves; IBP-based methods lose clean accuracy but certify more"
                + " from eps 1e-2."))
        .withPaperValues(scale -> scale != Scale.FULL ? Map.of() : Map.of(
            TrainingSweepExperiment.key("eps", "ibp", 5e-2, Measure.TIGHTNESS),
            new PaperValue(0.98, 0.01, "Section 4.2 (Figure 5): tightness 0.98 at eps 0.05")));
  }

  /** {@code s1-fig6}: SABR's subselection ratio lambda, from PGD-like to IBP. */
  static TrainingSweepExperiment sabrLambda() {
    return new TrainingSweepExperiment("s1-fig6",
        "SABR's lambda vs accuracy, certified accuracy and tightness",
        "Mao et al., Understanding Certified Training with IBP: Figure 6",
        scale -> {
          boolean full = scale == Scale.FULL;
          double[] lambdas = full ? new double[] {0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1}
              : new double[] {0.05, 0.2, 0.4, 0.7, 1};
          double eps = full ? CIFAR_EPS : 0.1;
          List<Cell> cells = new ArrayList<>();
          for (double lambda : lambdas) {
            cells.add(new Cell("lambda", "sabr", lambda, arch(full ? "cnn7" : "cnn3", 1),
                new SabrTraining(lambda, trainingAttack(full ? 8 : 5), 0.7, 0.5), eps));
          }
          return new Parameters(full ? DatasetName.CIFAR10 : DatasetName.MNIST, full ? 160 : 4,
              0, full ? 10000 : 500, 0, full ? 50 : 20,
              full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("lambda", "lambda", true)), cells,
              List.of(new Trend("tightness_rises_with_lambda", "lambda", "sabr",
                      Measure.TIGHTNESS, Shape.RISING),
                  new Trend("clean_falls_with_lambda", "lambda", "sabr", Measure.CLEAN,
                      Shape.FALLING)), List.of());
        },
        List.of("The paper trains CNN7 on CIFAR-10 at eps 2/255 (full scale); small scale"
                + " trains CNN3 on all MNIST images at eps 0.1 for 4 epochs.",
            "The paper reports tightness falling as lambda falls, with natural and certified"
                + " accuracy rising until tightness drops below 0.5 at lambda 0.4."));
  }

  /** {@code s1-fig9}: STAPS with 0 to k ReLU layers in its classifier. */
  static TrainingSweepExperiment stapsClassifier() {
    return new TrainingSweepExperiment("s1-fig9",
        "STAPS: ReLU layers in the classifier vs accuracy, certified accuracy and tightness",
        "Mao et al., Understanding Certified Training with IBP: Figure 9 (appendix D.1)",
        scale -> {
          boolean full = scale == Scale.FULL;
          DatasetName dataset = full ? DatasetName.CIFAR10 : DatasetName.MNIST;
          Architectures.Spec architecture = full ? arch("cnn7", 1) : arch("cnn4", 0.25);
          double eps = full ? CIFAR_EPS : 0.1;
          int steps = full ? 8 : 5;
          List<Cell> cells = new ArrayList<>();
          for (int relus = 0; relus <= 3; relus++) {
            TapsTraining taps = new TapsTraining(classifierLayers(architecture, dataset, relus),
                steps, 0.5, 4, 0.7, 0.5);
            cells.add(new Cell("relus", "staps", relus, architecture,
                new StapsTraining(0.4, trainingAttack(steps), taps), eps));
          }
          return new Parameters(dataset, full ? 160 : 4, 0, full ? 10000 : 500, 0,
              full ? 50 : 20, full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("relus", "ReLU layers in the classifier", false)), cells,
              List.of(new Trend("tightness_falls_with_classifier_relus", "relus", "staps",
                      Measure.TIGHTNESS, Shape.FALLING),
                  new Trend("clean_rises_with_classifier_relus", "relus", "staps",
                      Measure.CLEAN, Shape.RISING)), List.of());
        },
        List.of("The paper trains CNN7 on CIFAR-10 at eps 2/255 (full scale); small scale"
                + " trains the 4-layer CNN4 at quarter width (Conv8-Conv32-FC250, 3 ReLU"
                + " layers) on all MNIST images at eps 0.1 for"
                + " 4 epochs, 3 ReLUs in the classifier leaving only the first convolution to"
                + " IBP.",
            "0 ReLU layers is SABR (PGD through one linear layer finds its exact box bound)."
                + " The paper reports tightness falling and both accuracies rising as the"
                + " classifier gets more ReLU layers, less than with SABR's lambda."));
  }

  /** {@code s1-table1}: SABR at the standard width and wider. */
  static TrainingSweepExperiment sabrWidth() {
    return new TrainingSweepExperiment("s1-table1",
        "SABR at the standard width and wider: natural and certified accuracy",
        "Mao et al., Understanding Certified Training with IBP: Table 1",
        scale -> {
          boolean full = scale == Scale.FULL;
          String name = full ? "cnn7" : "cnn3";
          List<Cell> cells = new ArrayList<>();
          for (double w : new double[] {1, 4}) {
            cells.add(new Cell("width", "sabr", w, arch(name, w),
                new SabrTraining(0.6, trainingAttack(full ? 8 : 5), 0.7, 0.5), 0.3));
          }
          return new Parameters(DatasetName.MNIST, full ? 70 : 4, 0, full ? 10000 : 500, 0,
              full ? 50 : 20, full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("width", "width multiplier", true)), cells,
              List.of(new Trend("wider_less_accurate", "width", "sabr", Measure.CLEAN,
                      Shape.FALLING),
                  new Trend("wider_more_certified", "width", "sabr", Measure.CERTIFIED,
                      Shape.RISING)), List.of());
        },
        List.of("The paper's MNIST row: SABR on CNN7 at eps 0.3, width 1 (98.82% / 93.38%)"
                + " vs 4x (98.48% / 93.85%), full scale here; its CIFAR-10 row (2/255, width 2x)"
                + " needs the CIFAR files. Small scale trains CNN3 at widths 1 and 4 for 4"
                + " epochs.",
            "The paper reports the wider network certifying more (+0.47 points on MNIST,"
                + " +0.44 on CIFAR-10), and, on MNIST, slightly less accurate (-0.34 points)."))
        .withPaperValues(scale -> scale != Scale.FULL ? Map.of() : Map.of(
            TrainingSweepExperiment.key("width", "sabr", 1, Measure.CLEAN),
            trained(0.9882, "Table 1, MNIST, width 1, accuracy"),
            TrainingSweepExperiment.key("width", "sabr", 1, Measure.CERTIFIED),
            trained(0.9338, "Table 1, MNIST, width 1, certified"),
            TrainingSweepExperiment.key("width", "sabr", 4, Measure.CLEAN),
            trained(0.9848, "Table 1, MNIST, width 4x, accuracy"),
            TrainingSweepExperiment.key("width", "sabr", 4, Measure.CERTIFIED),
            trained(0.9385, "Table 1, MNIST, width 4x, certified")));
  }

  /** {@code s1-table2}: PGD, COLT, SABR and IBP on the 4-layer CNN of COLT. */
  static TrainingSweepExperiment methodsOnCnn4() {
    return new TrainingSweepExperiment("s1-table2",
        "PGD, COLT, SABR and IBP on CNN4: tightness, accuracy and certified accuracy",
        "Mao et al., Understanding Certified Training with IBP: Table 2",
        scale -> {
          boolean full = scale == Scale.FULL;
          double[] eps = full ? new double[] {CIFAR_EPS, 8.0 / 255} : new double[] {0.1, 0.3};
          int steps = full ? 8 : 5;
          Architectures.Spec cnn4 = arch("cnn4", full ? 1 : 0.25);
          List<Cell> cells = new ArrayList<>();
          for (double e : eps) {
            double lambda = e > (full ? CIFAR_EPS : 0.1) + 1e-12 ? 0.6 : 0.4;
            cells.add(new Cell("eps", "pgd", e, cnn4,
                new PgdTraining(trainingAttack(steps)), e));
            if (full || e == eps[0]) {
              cells.add(new Cell("eps", "colt", e, cnn4, ColtTraining.recipe(), e));
            }
            cells.add(new Cell("eps", "sabr", e, cnn4,
                new SabrTraining(lambda, trainingAttack(steps), 0.7, 0.5), e));
            cells.add(new Cell("eps", "ibp", e, cnn4, IbpTraining.shi(), e));
          }
          return new Parameters(full ? DatasetName.CIFAR10 : DatasetName.MNIST, full ? 160 : 16,
              full ? 0 : 20_000, full ? 10000 : 500, 0, full ? 50 : 20,
              full ? Certifier.Method.AUTO : Certifier.Method.LINEAR,
              List.of(new Axis("eps", "epsilon", true)), cells, List.of(),
              List.of(new Ordering("tightness_ibp_sabr_colt_pgd", "eps", Measure.TIGHTNESS,
                      List.of("ibp", "sabr", "colt", "pgd")),
                  new Ordering("clean_pgd_colt_sabr_ibp", "eps", Measure.CLEAN,
                      List.of("pgd", "colt", "sabr", "ibp"))));
        },
        List.of("The paper trains CNN4 on CIFAR-10 at eps 2/255 and 8/255 (full scale); small"
                + " scale trains cnn4 at quarter width (Conv8-Conv32-FC250) on 20,000 MNIST"
                + " images at eps 0.1 and 0.3 for 16 epochs (the eps ramp over 4.6 of them, 357"
                + " steps; IBP collapses to one class at 0.3 with 133 ramp steps), COLT at 0.1"
                + " only.",
            "COLT here freezes the layers before its latent for the robust term; it has COLT's"
                + " L1 and ReLU-stability regularisers and its per-stage eps factor.",
            "The paper orders tightness IBP > SABR > COLT > PGD and clean accuracy inversely"
                + " (PGD 0.001 / 0.007, COLT 0.009 / 0.057, SABR 0.182 / 0.950 at 2/255 and"
                + " 8/255)."))
        .withPaperValues(scale -> scale != Scale.FULL ? Map.of() : table2());
  }

  /**
   * Table 2 of the paper, CNN4 on CIFAR-10: per method and radius, accuracy, tightness and
   * certified accuracy (none for PGD).
   */
  private static Map<String, PaperValue> table2() {
    Map<String, PaperValue> out = new java.util.LinkedHashMap<>();
    Object[][] rows = {
        {"pgd", CIFAR_EPS, 0.812, 0.001, Double.NaN}, {"pgd", 8.0 / 255, 0.693, 0.007, Double.NaN},
        {"colt", CIFAR_EPS, 0.784, 0.009, 0.607}, {"colt", 8.0 / 255, 0.517, 0.057, 0.267},
        {"sabr", CIFAR_EPS, 0.756, 0.182, 0.577}, {"sabr", 8.0 / 255, 0.482, 0.950, 0.312},
        {"ibp", CIFAR_EPS, 0.630, 0.803, 0.513}, {"ibp", 8.0 / 255, 0.422, 0.977, 0.310}};
    for (Object[] r : rows) {
      String method = (String) r[0];
      double eps = (double) r[1];
      String where = "Table 2, " + method.toUpperCase(java.util.Locale.ROOT) + " at "
          + (eps == CIFAR_EPS ? "2/255" : "8/255") + ", ";
      out.put(TrainingSweepExperiment.key("eps", method, eps, Measure.CLEAN),
          trained((double) r[2], where + "accuracy"));
      out.put(TrainingSweepExperiment.key("eps", method, eps, Measure.TIGHTNESS),
          new PaperValue((double) r[3], Math.max(0.01, 0.1 * (double) r[3]), where
              + "tightness"));
      if (!Double.isNaN((double) r[4])) {
        out.put(TrainingSweepExperiment.key("eps", method, eps, Measure.CERTIFIED),
            trained((double) r[4], where + "certified"));
      }
    }
    return out;
  }

  /**
   * An accuracy the paper reports for a trained network: a reproduction agrees within 2 points,
   * the spread of retraining with other seeds and certifiers.
   */
  private static PaperValue trained(double share, String source) {
    return new PaperValue(share, 0.02, source);
  }

  /**
   * TAPS's classifier length that holds the last {@code relus} ReLU layers of the architecture:
   * the suffix starting at that ReLU (1, the last layer alone, for none).
   */
  static int classifierLayers(Architectures.Spec architecture, DatasetName dataset, int relus) {
    try (NDManager manager = NDManager.newBaseManager();
        Network network = Architectures.build(architecture, dataset.inputFormat(),
            Initialization.DEFAULT, 0, manager)) {
      int n = network.layers().size();
      if (relus == 0) {
        return 1;
      }
      int seen = 0;
      for (int i = n - 1; i >= 0; i--) {
        if (network.layers().get(i) instanceof Relu && ++seen == relus) {
          return n - i;
        }
      }
      throw new IllegalArgumentException(architecture.name() + " has fewer than " + relus
          + " ReLU layers");
    }
  }
}
