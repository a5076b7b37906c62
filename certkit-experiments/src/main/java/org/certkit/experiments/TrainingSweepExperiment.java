package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.net.Architectures;
import org.certkit.tightness.TightnessSummary;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingMethod;

/**
 * A sweep of trained networks along one or more axes (training epsilon, a method's
 * regularisation level, depth, width), each cell trained once with the dataset's recipe scaled
 * to the sweep's length and measured at its training epsilon on the test set: clean, PGD and
 * sound certified accuracy, and local propagation tightness; optionally IBP-certified accuracy on
 * training images (the goodness of fit of the first paper's Figure 4). Every cell is a run
 * directory of {@link TrainingRuns}, so a stopped sweep resumes with the cells it has not
 * finished. The figures of the first paper's section 4 are instances (see
 * {@link FirstPaperSweeps}).
 */
public final class TrainingSweepExperiment implements Experiment {

  /** A quantity measured on every cell, a panel of the figure and a column of the table. */
  public enum Measure {
    /** Clean test accuracy. */
    CLEAN("clean accuracy"),
    /** Test accuracy under PGD at the cell's epsilon. */
    PGD("PGD accuracy"),
    /** Sound certified test accuracy at the cell's epsilon. */
    CERTIFIED("certified accuracy"),
    /** Mean local propagation tightness on the test images. */
    TIGHTNESS("tightness"),
    /** IBP-certified accuracy on training images at the cell's epsilon. */
    TRAIN_CERTIFIED("train-set IBP-certified accuracy");

    private final String label;

    Measure(String label) {
      this.label = label;
    }

    /** The axis label. */
    public String label() {
      return label;
    }
  }

  /** The shape a trend must have along its axis. */
  public enum Shape {
    /** Rank correlation with the abscissa is positive. */
    RISING,
    /** Rank correlation with the abscissa is negative. */
    FALLING,
    /** The minimum lies strictly inside the axis' range. */
    VALLEY
  }

  /**
   * One abscissa of the sweep (a row of panels).
   *
   * @param name identifier used by cells and trends
   * @param label axis label
   * @param log logarithmic abscissa
   */
  public record Axis(String name, String label, boolean log) {}

  /**
   * One trained network.
   *
   * @param axis the axis it lies on
   * @param series the curve it belongs to (a method)
   * @param x its abscissa
   * @param architecture its architecture
   * @param method its training method
   * @param eps training and evaluation epsilon
   */
  public record Cell(String axis, String series, double x, Architectures.Spec architecture,
      TrainingMethod method, double eps) {

    /** Checks the parts. */
    public Cell {
      Objects.requireNonNull(method, "method");
      if (!(eps > 0) || !Double.isFinite(x)) {
        throw new IllegalArgumentException("cell needs eps > 0 and a finite x, got " + eps
            + ", " + x);
      }
    }

    /** The run directory's label: axis, series and abscissa. */
    String label() {
      return label(axis, series, x);
    }

    /** The label of the cell at {@code x} of {@code series} on {@code axis}. */
    static String label(String axis, String series, double x) {
      return axis + "-" + series + "-"
          + BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
  }

  /**
   * A claim of the paper checked on the result, written to the headline as a boolean.
   *
   * @param name headline key
   * @param axis the axis
   * @param series the curve
   * @param measure the quantity
   * @param shape its expected shape along the axis
   */
  public record Trend(String name, String axis, String series, Measure measure, Shape shape) {}

  /**
   * A claim that series are ordered at every abscissa of an axis, written to the headline as one
   * boolean per abscissa ({@code name_x}).
   *
   * @param name headline key prefix
   * @param axis the axis
   * @param measure the quantity
   * @param descending the series, largest value first; strictly ordered
   */
  public record Ordering(String name, String axis, Measure measure, List<String> descending) {

    /** Copies the series. */
    public Ordering {
      descending = List.copyOf(descending);
    }
  }

  /**
   * What runs.
   *
   * @param dataset training and test data
   * @param epochs epochs of every cell (the dataset's recipe scaled to this length)
   * @param trainSamples training images (0 for all)
   * @param testSamples test images of the accuracies and the tightness
   * @param trainCertifySamples training images of {@link Measure#TRAIN_CERTIFIED}, 0 to skip it
   * @param pgdEvalSteps PGD steps of the evaluation attack (one restart)
   * @param certification certifier of the certified accuracy
   * @param axes the axes, in panel-row order
   * @param cells the cells, each on one of the axes
   * @param trends the claims on the shape of a series
   * @param orderings the claims on the order of the series
   */
  public record Parameters(DatasetName dataset, int epochs, int trainSamples, int testSamples,
      int trainCertifySamples, int pgdEvalSteps, Certifier.Method certification,
      List<Axis> axes, List<Cell> cells, List<Trend> trends, List<Ordering> orderings) {

    /** Validates sizes and references. */
    public Parameters {
      axes = List.copyOf(axes);
      cells = List.copyOf(cells);
      trends = List.copyOf(trends);
      orderings = List.copyOf(orderings);
      Objects.requireNonNull(dataset, "dataset");
      Objects.requireNonNull(certification, "certification");
      if (epochs < 1 || trainSamples < 0 || testSamples < 1 || trainCertifySamples < 0
          || pgdEvalSteps < 1 || cells.isEmpty()) {
        throw new IllegalArgumentException("invalid sweep parameters");
      }
      List<String> names = axes.stream().map(Axis::name).toList();
      for (Cell c : cells) {
        if (!names.contains(c.axis())) {
          throw new IllegalArgumentException("cell on unknown axis " + c.axis());
        }
      }
      if (cells.stream().map(Cell::label).distinct().count() != cells.size()) {
        throw new IllegalArgumentException("two cells share axis, series and abscissa");
      }
      for (Trend t : trends) {
        if (!names.contains(t.axis())) {
          throw new IllegalArgumentException("trend on unknown axis " + t.axis());
        }
      }
      for (Ordering o : orderings) {
        if (!names.contains(o.axis())) {
          throw new IllegalArgumentException("ordering on unknown axis " + o.axis());
        }
      }
    }

    /** The measures of the figure: the test-set ones, and the train-set one when measured. */
    List<Measure> measures() {
      return trainCertifySamples > 0
          ? List.of(Measure.CLEAN, Measure.CERTIFIED, Measure.TIGHTNESS, Measure.TRAIN_CERTIFIED)
          : List.of(Measure.CLEAN, Measure.CERTIFIED, Measure.TIGHTNESS);
    }
  }

  private static final List<String> COLUMNS = List.of("axis", "series", "x", "architecture",
      "width", "method", "eps", "clean_accuracy", "pgd_accuracy", "certified_accuracy",
      "tightness_mean", "tightness_median", "train_certified_accuracy", "train_seconds",
      "certifier");

  private final String id;
  private final String title;
  private final String reference;
  private final Function<Scale, Parameters> parameters;
  private final List<String> notes;
  private final Function<Scale, Map<String, PaperValue>> paper;

  /**
   * A sweep experiment.
   *
   * @param parameters the parameters of each scale, built when the experiment runs
   * @param notes sentences for the summary: what was scaled down, what the paper reports
   */
  public TrainingSweepExperiment(String id, String title, String reference,
      Function<Scale, Parameters> parameters, List<String> notes) {
    this(id, title, reference, parameters, notes, scale -> Map.of());
  }

  private TrainingSweepExperiment(String id, String title, String reference,
      Function<Scale, Parameters> parameters, List<String> notes,
      Function<Scale, Map<String, PaperValue>> paper) {
    this.id = id;
    this.title = title;
    this.reference = reference;
    this.parameters = parameters;
    this.notes = List.copyOf(notes);
    this.paper = paper;
  }

  /**
   * This sweep with the paper's values of its headline keys at each scale (see
   * {@link #key(String, String, double, Measure)} for a cell's keys).
   */
  public TrainingSweepExperiment withPaperValues(
      Function<Scale, Map<String, PaperValue>> values) {
    return new TrainingSweepExperiment(id, title, reference, parameters, notes, values);
  }

  /** The headline key of {@code measure} on the cell at {@code x} of a series on an axis. */
  public static String key(String axis, String series, double x, Measure measure) {
    return Cell.label(axis, series, x) + "_" + measure.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    return paper.apply(scale);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String title() {
    return title;
  }

  @Override
  public String paperReference() {
    return reference;
  }

  /** The parameters the experiment runs with at {@code scale}. */
  public Parameters parameters(Scale scale) {
    return parameters.apply(scale);
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    Parameters p = parameters(scale);
    DatasetTraining.Splits data = DatasetTraining.load(context, p.dataset(), p.trainSamples(),
        p.testSamples());
    return run(p, data.train(), data.test(), context);
  }

  /** Measurements of one cell. */
  private record Outcome(Cell cell, RobustnessReport report, TightnessSummary tightness,
      double trainCertified, double trainSeconds) {

    double value(Measure m) {
      return switch (m) {
        case CLEAN -> report.cleanAccuracy();
        case PGD -> report.pgdAccuracy();
        case CERTIFIED -> report.certifiedAccuracy();
        case TIGHTNESS -> tightness.mean();
        case TRAIN_CERTIFIED -> trainCertified;
      };
    }
  }

  /** Runs with explicit parameters and data. */
  public ExperimentResult run(Parameters p, ImageDataset train, ImageDataset test,
      ExperimentContext context) {
    TrainingRuns runs = new TrainingRuns(context);
    String certifier = p.certification().name().toLowerCase(Locale.ROOT);
    ImageDataset trainCertify = train.subset(Math.min(p.trainCertifySamples(), train.size()));
    List<Outcome> outcomes = new ArrayList<>();
    List<List<Object>> rows = new ArrayList<>();
    int done = 0;
    context.work().finished("cells", 0, p.cells().size());
    for (Cell cell : p.cells()) {
      TrainingConfig config = p.dataset() == DatasetName.MNIST
          ? TrainingConfig.mnist(cell.method(), cell.eps(), p.epochs(), context.seed())
          : TrainingConfig.cifar10(cell.method(), cell.eps(), p.epochs(), context.seed());
      try (NDManager manager = context.manager().newSubManager();
          TrainingRuns.Run run = runs.train(cell.label(), config, cell.architecture(),
              p.dataset(), train, manager)) {
        RobustnessReport report = run.measured("test-" + certifier + "-pgd" + p.pgdEvalSteps()
                + "-n" + test.size(), RobustnessReport.class,
            () -> new RobustnessEvaluator(PgdAttack.withSteps(p.pgdEvalSteps(), 1),
                p.certification(), 500).evaluate(run.network(), test, test.size(), cell.eps(),
                manager, n -> {}));
        TightnessSummary tightness = run.measured("tightness-n" + test.size(),
            TightnessSummary.class,
            () -> TightnessSummary.measure(run.network(), test, test.size(), 0, 50, manager));
        double trainCertified = p.trainCertifySamples() == 0 ? Double.NaN
            : run.measured("train-ibp-n" + trainCertify.size(), RobustnessReport.class,
                () -> new RobustnessEvaluator(null, Certifier.Method.IBP, 500).evaluate(
                    run.network(), trainCertify, trainCertify.size(), cell.eps(), manager,
                    n -> {})).certifiedAccuracy();
        Outcome o = new Outcome(cell, report, tightness, trainCertified, run.trainSeconds());
        outcomes.add(o);
        done++;
        context.work().finished("cells", done, p.cells().size());
        context.progress(String.format(Locale.ROOT, "cell %d/%d %s: clean %.2f%%, PGD %.2f%%,"
                + " certified %.2f%% (%s), tightness %.3g%s", done, p.cells().size(),
            cell.label(), 100 * report.cleanAccuracy(), 100 * report.pgdAccuracy(),
            100 * report.certifiedAccuracy(), certifier, tightness.mean(),
            Double.isNaN(trainCertified) ? ""
                : String.format(Locale.ROOT, ", train IBP-certified %.2f%%",
                    100 * trainCertified)));
        rows.add(List.of(cell.axis(), cell.series(), cell.x(), cell.architecture().name(),
            cell.architecture().widthMultiplier(), cell.method().name(), cell.eps(),
            report.cleanAccuracy(), report.pgdAccuracy(), report.certifiedAccuracy(),
            tightness.mean(), tightness.median(), trainCertified, run.trainSeconds(),
            certifier));
      }
    }
    return new ExperimentResult(p, new ResultTable(COLUMNS, rows), figure(p, outcomes),
        headline(p, outcomes), notes);
  }

  private static Figure figure(Parameters p, List<Outcome> outcomes) {
    List<Panel> panels = new ArrayList<>();
    for (Axis axis : p.axes()) {
      for (Measure m : p.measures()) {
        List<Series> series = new ArrayList<>();
        for (Map.Entry<String, List<Outcome>> e : bySeries(outcomes, axis.name()).entrySet()) {
          List<Outcome> line = e.getValue();
          double[] x = line.stream().mapToDouble(o -> o.cell().x()).toArray();
          double[] y = line.stream().mapToDouble(o -> m == Measure.TIGHTNESS
              ? Math.max(o.value(m), Double.MIN_NORMAL) : o.value(m)).toArray();
          series.add(new Series(e.getKey(), x, y, SeriesStyle.ESTIMATE));
        }
        if (!series.isEmpty()) {
          panels.add(new Panel(m.label() + " vs " + axis.label(), axis.label(), m.label(),
              axis.log(), m == Measure.TIGHTNESS, series));
        }
      }
    }
    return new Figure(panels, p.measures().size());
  }

  /** The outcomes on {@code axis}, grouped by series in first-appearance order, sorted by x. */
  private static Map<String, List<Outcome>> bySeries(List<Outcome> outcomes, String axis) {
    Map<String, List<Outcome>> out = new LinkedHashMap<>();
    for (Outcome o : outcomes) {
      if (o.cell().axis().equals(axis)) {
        out.computeIfAbsent(o.cell().series(), k -> new ArrayList<>()).add(o);
      }
    }
    out.values().forEach(l -> l.sort(Comparator.comparingDouble(o -> o.cell().x())));
    return out;
  }

  private static Map<String, Object> headline(Parameters p, List<Outcome> outcomes) {
    Map<String, Object> headline = new LinkedHashMap<>();
    for (Trend t : p.trends()) {
      List<Outcome> line = bySeries(outcomes, t.axis()).getOrDefault(t.series(), List.of());
      double[] y = line.stream().mapToDouble(o -> o.value(t.measure())).toArray();
      headline.put(t.name(), line.size() >= 3 || t.shape() != Shape.VALLEY
          ? holds(t.shape(), y) : "too few cells");
    }
    for (Ordering order : p.orderings()) {
      Map<String, List<Outcome>> lines = bySeries(outcomes, order.axis());
      double[] xs = outcomes.stream().filter(o -> o.cell().axis().equals(order.axis()))
          .mapToDouble(o -> o.cell().x()).distinct().sorted().toArray();
      for (double x : xs) {
        double[] values = new double[order.descending().size()];
        boolean complete = true;
        for (int i = 0; i < values.length; i++) {
          Outcome o = lines.getOrDefault(order.descending().get(i), List.of()).stream()
              .filter(c -> c.cell().x() == x).findFirst().orElse(null);
          complete &= o != null;
          values[i] = o == null ? Double.NaN : o.value(order.measure());
        }
        boolean ordered = complete;
        for (int i = 1; i < values.length && ordered; i++) {
          ordered = values[i - 1] > values[i];
        }
        headline.put(order.name() + "_" + BigDecimal.valueOf(x).stripTrailingZeros()
            .toPlainString(), complete ? ordered : "missing series");
      }
    }
    for (Outcome o : outcomes) {
      for (Measure m : p.measures()) {
        headline.put(key(o.cell().axis(), o.cell().series(), o.cell().x(), m), o.value(m));
      }
    }
    return headline;
  }

  /** Whether {@code y}, ordered by abscissa, has {@code shape}. */
  static boolean holds(Shape shape, double[] y) {
    if (shape == Shape.VALLEY) {
      int min = 0;
      for (int i = 1; i < y.length; i++) {
        if (y[i] < y[min]) {
          min = i;
        }
      }
      return min > 0 && min < y.length - 1;
    }
    double rho = rankCorrelation(y);
    return shape == Shape.RISING ? rho > 0 : rho < 0;
  }

  /** Spearman's rank correlation of {@code y} with its index (ties get their mean rank). */
  private static double rankCorrelation(double[] y) {
    int n = y.length;
    if (n < 2) {
      return 0;
    }
    double[] ranks = new double[n];
    for (int i = 0; i < n; i++) {
      int below = 0;
      int equal = 0;
      for (double v : y) {
        below += v < y[i] ? 1 : 0;
        equal += v == y[i] ? 1 : 0;
      }
      ranks[i] = below + (equal - 1) / 2.0;
    }
    double mean = (n - 1) / 2.0;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < n; i++) {
      sxy += (i - mean) * (ranks[i] - mean);
      sxx += (i - mean) * (i - mean);
      syy += (ranks[i] - mean) * (ranks[i] - mean);
    }
    return syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  }
}
