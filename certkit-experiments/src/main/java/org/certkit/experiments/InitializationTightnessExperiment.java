package org.certkit.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.certkit.experiments.InitializationTightnessSeries.NetworkShape;
import org.certkit.tightness.theory.InitializationTightness;
import org.certkit.tightness.theory.MonteCarloEstimate;
import org.jfree.data.statistics.Regression;

/**
 * {@code s1-fig2}: tightness at initialisation against width (left) and depth (right), Figure 2
 * of Mao et al. Deep linear networks with Gaussian weights are estimated by Monte Carlo and
 * overlaid with Lemma 3.7's {@code tau(d1)} (width), the exact depth curve
 * {@code tau(w)^(L-1)} and Corollary 3.8's bound {@code tau(w)^floor(L/2)} (depth). Further
 * network families are added as {@link InitializationTightnessSeries} through the constructor.
 *
 * <p>Every point draws one seed from {@code new SplittableRandom(context.seed())} in table order,
 * shared by all series, so adding a series does not change the others' numbers.
 */
public final class InitializationTightnessExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s1-fig2";

  /** Widths whose Monte-Carlo tightness is compared with {@code tau(d1)} in the headline. */
  public static final List<Integer> CHECKED_WIDTHS = List.of(2, 10, 100, 1000);

  /**
   * The sizes of one run.
   *
   * @param inputDimension {@code d_0} of every network
   * @param outputDimension {@code d_L} of every network
   * @param widths internal widths {@code d1} of the two-layer width sweep, strictly increasing
   * @param depthWidth the internal width of every layer in the depth sweep
   * @param depths numbers of linear layers of the depth sweep, strictly increasing, from 1
   * @param samples random networks per point, at least 2
   */
  public record Parameters(int inputDimension, int outputDimension, List<Integer> widths,
      int depthWidth, List<Integer> depths, int samples) {

    /** Validates every size; copies the lists. */
    public Parameters {
      widths = List.copyOf(widths);
      depths = List.copyOf(depths);
      new NetworkShape(inputDimension, depthWidth, 1, outputDimension);
      Sweeps.requireIncreasing(widths, "widths");
      Sweeps.requireIncreasing(depths, "depths");
      if (samples < 2) {
        throw new IllegalArgumentException("samples must be at least 2, got " + samples);
      }
    }

    /** The parameters of {@code scale}. */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(16, 16, List.of(2, 5, 10, 20, 50, 100, 200, 500, 1000), 64,
            Sweeps.range(1, 10), 1000);
        case FULL -> new Parameters(32, 32,
            List.of(2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000), 64, Sweeps.range(1, 16),
            2000);
      };
    }
  }

  private final List<InitializationTightnessSeries> series;

  /**
   * Figure 2 with deep linear networks and the given further families.
   *
   * @param extraSeries families drawn after the deep linear networks, distinct names
   */
  public InitializationTightnessExperiment(List<InitializationTightnessSeries> extraSeries) {
    List<InitializationTightnessSeries> all = new ArrayList<>();
    all.add(new DeepLinearSeries());
    all.addAll(extraSeries);
    if (all.stream().map(InitializationTightnessSeries::name).distinct().count() != all.size()) {
      throw new IllegalArgumentException("series names must be distinct");
    }
    this.series = List.copyOf(all);
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Tightness at initialisation vs width and depth";
  }

  @Override
  public String paperReference() {
    return "Figure 2 (Lemma 3.7, Corollary 3.8) of Mao et al., \"Understanding Certified"
        + " Training with Interval Bound Propagation\", ICLR 2024";
  }

  /** tau(500) as Section 3.3 prints it, and the order of Lemma 3.7 as log-log slopes. */
  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    return Map.of(
        "tau_500", new PaperValue(0.056, 0.0005, "Section 3.3, after Lemma 3.7: tau(500) ~ 0.056"),
        "closed_form_width_loglog_slope", new PaperValue(-0.5, 0.05,
            "Lemma 3.7: tau in Theta(1/sqrt(width))"),
        "dln_width_loglog_slope", new PaperValue(-0.5, 0.05,
            "Lemma 3.7: tau in Theta(1/sqrt(width))"));
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    SplittableRandom seeds = new SplittableRandom(context.seed());
    List<List<Object>> rows = new ArrayList<>();
    double[][] widthValues = new double[series.size()][p.widths().size()];
    int points = p.widths().size() + p.depths().size();
    context.work().finished("points", 0, points);
    for (int i = 0; i < p.widths().size(); i++) {
      int width = p.widths().get(i);
      NetworkShape shape = new NetworkShape(p.inputDimension(), width, 2, p.outputDimension());
      rows.add(row("width", shape, p.samples(), seeds.nextLong(), context, widthValues, i,
          InitializationTightness.tau(width), InitializationTightness.depthBound(width, 2)));
      context.work().finished("points", i + 1, points);
    }
    double[][] depthValues = new double[series.size()][p.depths().size()];
    double[] exactDepth = new double[p.depths().size()];
    for (int i = 0; i < p.depths().size(); i++) {
      int depth = p.depths().get(i);
      NetworkShape shape = new NetworkShape(p.inputDimension(), p.depthWidth(), depth,
          p.outputDimension());
      exactDepth[i] = InitializationTightness.expectedTightness(
          IntStream.range(1, depth).map(l -> p.depthWidth()).toArray());
      rows.add(row("depth", shape, p.samples(), seeds.nextLong(), context, depthValues, i,
          exactDepth[i], InitializationTightness.depthBound(p.depthWidth(), depth)));
      context.work().finished("points", p.widths().size() + i + 1, points);
    }
    List<String> columns = new ArrayList<>(List.of("sweep", "width", "depth"));
    for (InitializationTightnessSeries s : series) {
      columns.add(s.name() + "_tightness");
      columns.add(s.name() + "_stderr");
    }
    columns.add("dln_closed_form");
    columns.add("corollary_3_8_bound");
    ResultTable table = new ResultTable(columns, rows);
    return new ExperimentResult(p, table, figure(p, widthValues, depthValues, exactDepth),
        headline(p, widthValues, depthValues, exactDepth),
        List.of("dln_closed_form is tau(d1) of Lemma 3.7 in the width sweep and tau(w)^(L-1)"
            + " in the depth sweep: the exact expectation for Gaussian weights, derived here by"
            + " applying the proof of Lemma 3.7 layer by layer (the paper states only Corollary"
            + " 3.8's bound tau(w)^floor(L/2)).",
            "Tightness is the ratio of mean optimal to mean layer-wise (IBP) radius over "
            + "networks and output dimensions, for the unit input box."));
  }

  private List<Object> row(String sweep, NetworkShape shape, int samples, long seed,
      ExperimentContext context, double[][] values, int index, double closedForm,
      double bound) {
    List<Object> row = new ArrayList<>(List.of(sweep, shape.width(), shape.depth()));
    for (int s = 0; s < series.size(); s++) {
      MonteCarloEstimate estimate = series.get(s).tightness(shape, samples, seed, context);
      values[s][index] = estimate.value();
      row.add(estimate.value());
      row.add(estimate.standardError());
    }
    row.add(closedForm);
    row.add(bound);
    context.progress(String.format("%s %s: width %d, depth %d: dln %.4g (closed form %.4g)", ID,
        sweep, shape.width(), shape.depth(), values[0][index], closedForm));
    return row;
  }

  private Figure figure(Parameters p, double[][] widthValues, double[][] depthValues,
      double[] exactDepth) {
    double[] widths = p.widths().stream().mapToDouble(Integer::doubleValue).toArray();
    double[] depths = p.depths().stream().mapToDouble(Integer::doubleValue).toArray();
    List<Series> left = new ArrayList<>();
    List<Series> right = new ArrayList<>();
    for (int s = 0; s < series.size(); s++) {
      String label = series.get(s).name() + ", Monte Carlo";
      left.add(new Series(label, widths, widthValues[s], SeriesStyle.ESTIMATE));
      right.add(new Series(label, depths, depthValues[s], SeriesStyle.ESTIMATE));
    }
    left.add(new Series("Lemma 3.7: tau(d1)", widths,
        p.widths().stream().mapToDouble(InitializationTightness::tau).toArray(),
        SeriesStyle.CLOSED_FORM));
    right.add(new Series("DLN exact: tau(w)^(L-1)", depths, exactDepth,
        SeriesStyle.CLOSED_FORM));
    right.add(new Series("Corollary 3.8 bound: tau(w)^floor(L/2)", depths,
        p.depths().stream().mapToDouble(d -> InitializationTightness.depthBound(p.depthWidth(),
            d)).toArray(), SeriesStyle.BOUND));
    return new Figure(List.of(
        new Panel("Two layers, input " + p.inputDimension() + ", output "
            + p.outputDimension(), "internal width d1", "tightness", true, true, left),
        new Panel("Width w = " + p.depthWidth(), "depth L (linear layers)", "tightness", false,
            true, right)));
  }

  private Map<String, Object> headline(Parameters p, double[][] widthValues,
      double[][] depthValues, double[] exactDepth) {
    double[] dlnWidth = widthValues[0];
    double[] dlnDepth = depthValues[0];
    Map<String, Object> headline = new LinkedHashMap<>();
    headline.put("tau_500", InitializationTightness.tau(500));
    for (int width : CHECKED_WIDTHS) {
      int i = p.widths().indexOf(width);
      if (i >= 0) {
        headline.put("mc_vs_tau_rel_error_d1_" + width,
            dlnWidth[i] / InitializationTightness.tau(width) - 1);
      }
    }
    if (p.widths().size() >= 2) {
      double[] widths = Sweeps.asDoubles(p.widths());
      double[] closed = p.widths().stream().mapToDouble(InitializationTightness::tau).toArray();
      headline.put("dln_width_loglog_slope",
          Regression.getPowerRegression(Sweeps.pairs(widths, dlnWidth))[1]);
      headline.put("closed_form_width_loglog_slope",
          Regression.getPowerRegression(Sweeps.pairs(widths, closed))[1]);
    }
    if (p.depths().size() >= 2) {
      double[][] logs = new double[p.depths().size()][];
      double worst = 0;
      for (int i = 0; i < logs.length; i++) {
        logs[i] = new double[] {p.depths().get(i), Math.log(dlnDepth[i])};
        worst = Math.max(worst, Math.abs(dlnDepth[i] / exactDepth[i] - 1));
      }
      headline.put("dln_depth_decay_factor_per_layer",
          Math.exp(Regression.getOLSRegression(logs)[1]));
      headline.put("exact_depth_decay_factor_per_layer",
          InitializationTightness.tau(p.depthWidth()));
      headline.put("corollary_3_8_decay_factor_per_layer",
          Math.sqrt(InitializationTightness.tau(p.depthWidth())));
      headline.put("mc_vs_exact_depth_max_abs_rel_error", worst);
    }
    // Further series (ReLU networks): the same fits, named after the series.
    for (int s = 1; s < series.size(); s++) {
      String name = series.get(s).name();
      if (p.widths().size() >= 2) {
        headline.put(name + "_width_loglog_slope", Regression.getPowerRegression(
            Sweeps.pairs(Sweeps.asDoubles(p.widths()), widthValues[s]))[1]);
      }
      if (p.depths().size() >= 2) {
        double[][] logs = new double[p.depths().size()][];
        for (int i = 0; i < logs.length; i++) {
          logs[i] = new double[] {p.depths().get(i), Math.log(depthValues[s][i])};
        }
        headline.put(name + "_depth_decay_factor_per_layer",
            Math.exp(Regression.getOLSRegression(logs)[1]));
      }
    }
    return headline;
  }
}
