package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.net.Architectures;
import org.certkit.tightness.TightnessSummary;
import org.certkit.train.ColtTraining;
import org.certkit.train.CrownIbpTraining;
import org.certkit.train.IbpTraining;
import org.certkit.train.MtlIbpTraining;
import org.certkit.train.PgdTraining;
import org.certkit.train.SabrTraining;
import org.certkit.train.StandardTraining;
import org.certkit.train.StapsTraining;
import org.certkit.train.TapsTraining;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingMethod;

/**
 * Certified training methods compared on MNIST (a machine-sized analogue of Table 2 and Figure 5
 * of Mao et al.): standard, PGD, IBP, SABR, MTL-IBP, TAPS, STAPS, CROWN-IBP and COLT training of
 * one architecture at each training epsilon, each model measured on the test set by clean
 * accuracy, PGD accuracy, certified accuracy (sound: the {@link Certifier.Method#LINEAR} cascade
 * of IBP, CROWN-IBP and CROWN at small scale, where alpha-CROWN on the 500 images of every
 * standard or PGD model would cost more than the training; the {@link Certifier.Method#AUTO}
 * cascade, alpha-CROWN last, at full scale) and local tightness, with its training time. The
 * paper reports tightness ordered IBP > SABR > COLT > PGD ~ standard and clean accuracy ordered
 * inversely; SABR's small boxes trade some tightness for accuracy.
 */
public final class TrainedTightnessExperiment implements Experiment {

  /** The methods compared, in the order of the table. */
  public static final List<String> METHODS = List.of("standard", "pgd", "ibp", "sabr",
      "mtl-ibp", "taps", "staps", "crown-ibp", "colt");

  /**
   * What runs.
   *
   * @param architecture network of every run
   * @param epochs epochs of every run (the MNIST recipe scaled to this length)
   * @param trainSamples training images used (0 for all 60,000)
   * @param epsilons training (and evaluation) epsilons of every method but standard training
   * @param methods the methods, a subset of {@link #METHODS}
   * @param pgdTrainSteps PGD steps of the attacks of PGD, SABR and MTL-IBP training
   * @param pgdTrainRestarts their restarts
   * @param pgdEvalSteps PGD steps of the evaluation attack
   * @param testSamples test images for accuracies and tightness
   * @param certification the certifier of the certified accuracy
   * @param coltEpochs epochs of COLT's runs, whose latent stages cost far more per image than
   *     the other methods' steps
   * @param coltTrainSamples the first this many training images for COLT (0: as the others)
   */
  public record Parameters(String architecture, int epochs, int trainSamples, double[] epsilons,
      List<String> methods, int pgdTrainSteps, int pgdTrainRestarts, int pgdEvalSteps,
      int testSamples, Certifier.Method certification, int coltEpochs, int coltTrainSamples) {

    /** Validates sizes. */
    public Parameters {
      if (epochs < 1 || trainSamples < 0 || testSamples < 1 || epsilons.length == 0
          || coltEpochs < 1 || coltTrainSamples < 0
          || pgdTrainSteps < 1 || pgdTrainRestarts < 1 || methods.isEmpty()
          || !METHODS.containsAll(methods)) {
        throw new IllegalArgumentException("invalid trained-tightness parameters (methods "
            + methods + ", known " + METHODS + ")");
      }
      if (java.util.Arrays.stream(epsilons).anyMatch(e -> !(e > 0 && e <= 1))) {
        throw new IllegalArgumentException("every epsilon must lie in (0, 1], got "
            + java.util.Arrays.toString(epsilons));
      }
      epsilons = epsilons.clone();
      methods = List.copyOf(methods);
      java.util.Objects.requireNonNull(certification, "certification");
    }

    @Override
    public double[] epsilons() {
      return epsilons.clone();
    }
  }

  /**
   * Small: 4 epochs. Full: the MNIST recipe's 70 epochs, with PGD-5 and one restart inside the
   * training methods (the recipe's 10 steps and 3 restarts would take two hours per method on
   * two cores; five steps keep each within one). COLT: its latent stages search a zonotope
   * whose bounds take 50 Cauchy projections per ReLU layer, about 7 ms per image and epoch on
   * CNN3 over its stages here, so it trains 4 epochs on 10,000 images at small scale and 16 on
   * 20,000 at full scale (the recipe's 70 on 60,000 would take about 8 hours).
   */
  private static final Map<Scale, Parameters> PARAMETERS = Map.of(
      Scale.SMALL, new Parameters("cnn3", 4, 0, new double[] {0.1, 0.3}, METHODS, 5, 1, 20, 500,
          Certifier.Method.LINEAR, 4, 10_000),
      Scale.FULL, new Parameters("cnn3", 70, 0, new double[] {0.1, 0.3}, METHODS, 5, 1, 50,
          10000, Certifier.Method.AUTO, 16, 20_000));

  /**
   * {@code name} with the recipe's hyper-parameters at {@code eps} (CTBench's MNIST settings):
   * SABR lambda 0.4 at eps up to 0.1, else 0.6; MTL-IBP alpha 0.02 at eps up to 0.1, else 0.5;
   * TAPS and STAPS with the last 3 layers as classifier (for CNN3: ReLU, Flatten, Linear),
   * gradient scale 4, connector 0.5, STAPS lambda as SABR's; robust weight 0.7 at eps up to
   * 0.1, else 1 for TAPS and STAPS, 0.7 for SABR and MTL-IBP; the attack of {@code p}. CROWN-IBP
   * is pure (robust weight 1, as IBP), COLT its MNIST recipe ({@link ColtTraining#recipe()}).
   */
  static TrainingMethod method(String name, double eps, Parameters p) {
    PgdAttack attack = new PgdAttack(p.pgdTrainSteps(), Math.max(0.25, 2.0 / p.pgdTrainSteps()),
        p.pgdTrainRestarts(), true);
    boolean small = eps <= 0.1 + 1e-12;
    return switch (name) {
      case "standard" -> new StandardTraining();
      case "pgd" -> new PgdTraining(attack);
      case "ibp" -> IbpTraining.shi();
      case "sabr" -> new SabrTraining(small ? 0.4 : 0.6, attack, 0.7, 0.5);
      case "mtl-ibp" -> new MtlIbpTraining(small ? 0.02 : 0.5, attack, 0.7, 0.5);
      case "taps" -> taps(eps, p);
      case "staps" -> new StapsTraining(small ? 0.4 : 0.6, attack, taps(eps, p));
      case "crown-ibp" -> new CrownIbpTraining(1);
      case "colt" -> ColtTraining.recipe();
      default -> throw new IllegalArgumentException("unknown method " + name);
    };
  }

  private static TapsTraining taps(double eps, Parameters p) {
    return new TapsTraining(3, p.pgdTrainSteps(), 0.5, 4, eps <= 0.1 + 1e-12 ? 0.7 : 1, 0.5);
  }

  @Override
  public String id() {
    return "s1-trained-tightness";
  }

  @Override
  public String title() {
    return "Certified training methods on MNIST: accuracy, certified accuracy, tightness, time";
  }

  @Override
  public String paperReference() {
    return "Mao et al., Understanding Certified Training with IBP: Table 2 and Figure 5";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(PARAMETERS.get(scale), context);
  }

  /**
   * The parameters of {@code scale} with only {@code methods} (a subset of {@link #METHODS}) at
   * only {@code epsilons}: a long sweep run in parts, each part keeping its models and
   * measurements in the run folder. A null argument keeps the scale's own.
   */
  public Parameters parameters(Scale scale, List<String> methods, double[] epsilons) {
    Parameters p = PARAMETERS.get(scale);
    return new Parameters(p.architecture(), p.epochs(), p.trainSamples(),
        epsilons != null ? epsilons : p.epsilons(), methods != null ? methods : p.methods(),
        p.pgdTrainSteps(), p.pgdTrainRestarts(), p.pgdEvalSteps(), p.testSamples(),
        p.certification(), p.coltEpochs(), p.coltTrainSamples());
  }

  /** Runs with explicit parameters on MNIST. */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    DatasetTraining.Splits data = DatasetTraining.load(context, DatasetName.MNIST,
        p.trainSamples(), p.testSamples());
    return run(p, data.train(), data.test(), context);
  }

  /** Runs with explicit parameters and data. */
  public ExperimentResult run(Parameters p, ImageDataset train, ImageDataset test,
      ExperimentContext context) {
    List<List<Object>> rows = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    double[] eps = p.epsilons();
    Map<String, double[]> tightness = new LinkedHashMap<>();
    Map<String, double[]> certified = new LinkedHashMap<>();
    Map<String, double[]> clean = new LinkedHashMap<>();
    try (NDManager manager = context.manager().newSubManager()) {
      int networks = p.methods().stream().mapToInt(m -> m.equals("standard") ? 1 : eps.length)
          .sum();
      int trained = 0;
      context.work().finished("networks", 0, networks);
      // Every network first, then the measurements: a long run that stops during a (slow)
      // certification keeps all the checkpoints trained so far, and a rerun loads them.
      for (String name : p.methods()) {
        for (double e : name.equals("standard") ? new double[] {eps[0]} : eps) {
          try (TrainingRuns.Run run = train(method(name, e, p), name.equals("standard") ? 0 : e,
              p, train, manager, context)) {
            context.work().finished("networks", ++trained, networks);
          }
        }
      }
      for (String name : p.methods()) {
        double[] t = new double[eps.length];
        double[] c = new double[eps.length];
        double[] a = new double[eps.length];
        Outcome standard = null;
        for (int i = 0; i < eps.length; i++) {
          Outcome o = standard;
          if (o == null) {
            o = trainAndMeasure(method(name, eps[i], p), name.equals("standard") ? 0 : eps[i],
                p, train, test, manager, context);
          }
          RobustnessReport report = evaluate(o, eps[i], p, test, manager, context);
          double trainEps = name.equals("standard") ? 0 : eps[i];
          context.progress(String.format(Locale.ROOT, "%s (train eps %.2f) at eps %.2f: clean"
                  + " %.2f%%, PGD %.2f%%, certified %.2f%% (%s), tightness %.3g, trained in"
                  + " %.0f s", name, trainEps, eps[i], 100 * report.cleanAccuracy(),
              100 * report.pgdAccuracy(), 100 * report.certifiedAccuracy(),
              p.certification().name().toLowerCase(Locale.ROOT), o.tightness().mean(),
              o.trainSeconds()));
          rows.add(List.of(name, trainEps, eps[i], report.cleanAccuracy(), report.pgdAccuracy(),
              report.certifiedAccuracy(), o.tightness().mean(), o.tightness().median(),
              o.trainSeconds(), p.certification().name().toLowerCase(Locale.ROOT)));
          t[i] = o.tightness().mean();
          c[i] = report.certifiedAccuracy();
          a[i] = report.cleanAccuracy();
          if (name.equals("standard")) {
            standard = o;
          } else {
            o.run().close();
          }
        }
        if (standard != null) {
          standard.run().close();
        }
        tightness.put(name, t);
        certified.put(name, c);
        clean.put(name, a);
      }
    }
    for (int i = 0; i < eps.length; i++) {
      for (String name : p.methods()) {
        headline.put(name + "_tightness_eps_" + eps[i], tightness.get(name)[i]);
        headline.put(name + "_certified_eps_" + eps[i], certified.get(name)[i]);
        headline.put(name + "_clean_eps_" + eps[i], clean.get(name)[i]);
      }
      if (tightness.containsKey("ibp") && tightness.containsKey("sabr")
          && tightness.containsKey("pgd")) {
        headline.put("tightness_ibp_above_sabr_above_pgd_eps_" + eps[i],
            tightness.get("ibp")[i] > tightness.get("sabr")[i]
                && tightness.get("sabr")[i] > tightness.get("pgd")[i]);
        headline.put("clean_pgd_above_sabr_above_ibp_eps_" + eps[i],
            clean.get("pgd")[i] > clean.get("sabr")[i]
                && clean.get("sabr")[i] > clean.get("ibp")[i]);
        headline.put("sabr_more_accurate_and_no_less_certified_than_ibp_eps_" + eps[i],
            clean.get("sabr")[i] > clean.get("ibp")[i]
                && certified.get("sabr")[i] >= certified.get("ibp")[i]);
      }
    }
    List<Series> tightnessSeries = new ArrayList<>();
    List<Series> certifiedSeries = new ArrayList<>();
    List<Series> cleanSeries = new ArrayList<>();
    for (String name : p.methods()) {
      SeriesStyle style = name.equals("standard") ? SeriesStyle.BOUND : SeriesStyle.ESTIMATE;
      tightnessSeries.add(new Series(name, eps, positive(tightness.get(name)), style));
      certifiedSeries.add(new Series(name, eps, certified.get(name), style));
      cleanSeries.add(new Series(name, eps, clean.get(name), style));
    }
    Figure figure = new Figure(List.of(
        new Panel("Mean local tightness", "epsilon", "tightness", false, true, tightnessSeries),
        new Panel("Certified accuracy (" + p.certification().name().toLowerCase(Locale.ROOT)
            + ")", "epsilon", "certified accuracy", false, false, certifiedSeries),
        new Panel("Clean accuracy", "epsilon", "clean accuracy", false, false, cleanSeries)));
    ResultTable table = new ResultTable(List.of("method", "train_eps", "eval_eps",
        "clean_accuracy", "pgd_accuracy", "certified_accuracy", "tightness_mean",
        "tightness_median", "train_seconds", "certifier"), rows);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "Tightness is the local propagation tightness of Definition 3.6 (margins y_k - y_label,"
            + " activation pattern of each clean test image, mean over k and images).",
        "Certified accuracy is sound (floating point included); standard training is trained"
            + " once and evaluated at every epsilon.",
        "The paper's Table 2 (CNN4, CIFAR-10 and MNIST, certified by MN-BaB) orders tightness"
            + " IBP > SABR > COLT > PGD ~ standard and accuracy inversely."));
  }

  /** Tightness is positive; a degenerate 0 is drawn at the smallest double on the log axis. */
  private static double[] positive(double[] values) {
    double[] out = values.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(out[i], Double.MIN_NORMAL);
    }
    return out;
  }

  private record Outcome(TrainingRuns.Run run, TightnessSummary tightness) {

    double trainSeconds() {
      return run.trainSeconds();
    }
  }

  /** The network of {@code method} at {@code eps}: trained, or loaded when trained before. */
  private static TrainingRuns.Run train(TrainingMethod method, double eps, Parameters p,
      ImageDataset train, NDManager manager, ExperimentContext context) {
    boolean colt = method instanceof ColtTraining;
    TrainingConfig config = TrainingConfig.mnist(method, eps, colt ? p.coltEpochs()
        : p.epochs(), context.seed());
    ImageDataset images = colt && p.coltTrainSamples() > 0
        ? train.subset(Math.min(p.coltTrainSamples(), train.size())) : train;
    return new TrainingRuns(context).train(String.format(Locale.ROOT, "%s eps %.2f",
        method.name(), eps), config, Architectures.Spec.of(p.architecture()), DatasetName.MNIST,
        images, manager);
  }

  private static Outcome trainAndMeasure(TrainingMethod method, double eps, Parameters p,
      ImageDataset train, ImageDataset test, NDManager manager, ExperimentContext context) {
    TrainingRuns.Run run = train(method, eps, p, train, manager, context);
    TightnessSummary tightness = run.measured("tightness-n" + test.size(),
        TightnessSummary.class,
        () -> TightnessSummary.measure(run.network(), test, test.size(), 0, 50, manager));
    return new Outcome(run, tightness);
  }

  /** Test images per stored part of a measurement (a multiple of the evaluator's batch). */
  static final int MEASURED_PART = 1_000;

  /** The per-example results of one part of a measurement, and the seconds it took. */
  record MeasuredPart(List<RobustnessEvaluator.ExampleResult> examples, double seconds) { }

  /**
   * Clean, PGD and certified accuracy on {@code test}, with a bar over its images, measured in
   * parts of {@link #MEASURED_PART} ({@link #measureInParts}).
   */
  private static RobustnessReport evaluate(Outcome o, double eps, Parameters p,
      ImageDataset test, NDManager manager, ExperimentContext context) {
    String certifier = p.certification().name().toLowerCase(Locale.ROOT);
    String key = String.format(Locale.ROOT, "test-eps%s-%s-pgd%d-n%d", eps, certifier,
        p.pgdEvalSteps(), test.size());
    RobustnessEvaluator evaluator = new RobustnessEvaluator(
        PgdAttack.withSteps(p.pgdEvalSteps(), 1), p.certification(), 500);
    context.work().finished("test images", 0, test.size());
    return measureInParts(o.run(), key, evaluator, test, eps, MEASURED_PART, manager,
        done -> context.work().finished("test images", done, test.size()));
  }

  /**
   * The report of {@code evaluator} on every image of {@code test}, stored in {@code run} as
   * {@code key}. Until that is stored, the images are measured in parts of {@code part} (a
   * multiple of the evaluator's batch, so the batches are those of one pass over the set), each
   * stored as it is done; a measurement that is stopped (hours for a network that PGD barely
   * breaks and the certifier cannot certify) continues after its last stored part.
   *
   * @param progress receives the number of images finished, counting the stored parts
   */
  static RobustnessReport measureInParts(TrainingRuns.Run run, String key,
      RobustnessEvaluator evaluator, ImageDataset test, double eps, int part, NDManager manager,
      java.util.function.IntConsumer progress) {
    if (part < 1 || part % evaluator.batchSize() != 0) {
      throw new IllegalArgumentException("parts of " + part + " images do not split batches of "
          + evaluator.batchSize());
    }
    return run.measured(key, RobustnessReport.class, () -> {
      List<RobustnessEvaluator.ExampleResult> all = new ArrayList<>();
      double seconds = 0;
      for (int from = 0; from < test.size(); from += part) {
        int start = from;
        int to = Math.min(test.size(), from + part);
        boolean[] measuredNow = {false};
        MeasuredPart done = run.measured(key + "-part" + from, MeasuredPart.class, () -> {
          measuredNow[0] = true;
          long began = System.nanoTime();
          List<RobustnessEvaluator.ExampleResult> examples = evaluator.examples(run.network(),
              test, start, to, eps, manager, finished -> progress.accept(start + finished));
          return new MeasuredPart(examples, (System.nanoTime() - began) / 1e9);
        });
        all.addAll(done.examples());
        seconds += done.seconds();
        if (!measuredNow[0]) {
          progress.accept(to);
        }
      }
      return evaluator.report(all, eps, seconds);
    });
  }


}
