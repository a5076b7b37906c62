package org.certkit.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.bounds.GaussianNetworks;

/**
 * {@code s2-fig2}: how much narrower the expected bounds of an Affine-ReLU-Affine block
 * {@code n-k-1} are than its IBP bounds, as the mean width difference {@code W_IBP - W_M} and
 * the mean ratio {@code W_IBP / W_M} over random networks, against the hidden size {@code k} at
 * a fixed {@code n} and against {@code n} at a fixed {@code k}, for several {@code eps}
 * (Figure 2 and Theorem 2 of Alsubaihi et al., "Expected Tight Bounds for Robust Deep Neural
 * Network Training"). Networks are drawn as in section 4 ({@link GaussianNetworks}); masks are
 * Eq. 3's. Narrower is not better by itself: the expected bounds are not sound.
 */
public final class ExpectedWidthExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-fig2";

  /**
   * What runs.
   *
   * @param inputSize the input size {@code n} of the sweep over {@code k}
   * @param hiddenWidths hidden sizes {@code k} of that sweep, strictly increasing
   * @param hiddenWidth the hidden size {@code k} of the sweep over {@code n}
   * @param inputSizes input sizes {@code n} of that sweep, strictly increasing
   * @param epsilons input radii, each positive, distinct
   * @param networks random networks per point
   */
  public record Parameters(int inputSize, List<Integer> hiddenWidths, int hiddenWidth,
      List<Integer> inputSizes, List<Double> epsilons, int networks) {

    /** Validates and copies. */
    public Parameters {
      hiddenWidths = List.copyOf(hiddenWidths);
      inputSizes = List.copyOf(inputSizes);
      epsilons = List.copyOf(epsilons);
      Sweeps.requireIncreasing(hiddenWidths, "hiddenWidths");
      Sweeps.requireIncreasing(inputSizes, "inputSizes");
      if (inputSize < 1 || hiddenWidth < 1 || networks < 1 || epsilons.isEmpty()
          || epsilons.stream().anyMatch(e -> !(e > 0))
          || epsilons.stream().distinct().count() != epsilons.size()) {
        throw new IllegalArgumentException("need n, k, networks >= 1 and distinct positive"
            + " epsilons; got " + inputSize + ", " + hiddenWidth + ", " + networks + ", "
            + epsilons);
      }
    }

    /**
     * The parameters of {@code scale}: the paper's {@code eps} values; {@code n = 100} for the
     * {@code k} sweep and {@code k = 100} for the {@code n} sweep (the paper does not give
     * them); 100 networks per point at small scale, {@code 10^3} at full.
     */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(100, List.of(10, 20, 50, 100, 200, 500, 1000, 2000), 100,
            List.of(10, 20, 50, 100, 200, 500, 1000), List.of(0.01, 0.1, 0.5, 1.0), 100);
        case FULL -> new Parameters(100, List.of(10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
            100, List.of(10, 20, 50, 100, 200, 500, 1000, 2000), List.of(0.01, 0.1, 0.5, 1.0),
            1000);
      };
    }
  }

  /** The mean width measures at one point. */
  private record Point(ValueSummary difference, ValueSummary ratio, double ibpWidth,
      double expectedWidth, int degenerate) {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Width of IBP vs expected bounds of random n-k-1 blocks, vs k and vs n";
  }

  @Override
  public String paperReference() {
    return "Figure 2 (Theorem 2) of Alsubaihi et al., \"Expected Tight Bounds for Robust Deep"
        + " Neural Network Training\"";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    List<List<Object>> rows = new ArrayList<>();
    List<Series> differenceByK = new ArrayList<>();
    List<Series> ratioByK = new ArrayList<>();
    List<Series> differenceByN = new ArrayList<>();
    List<Series> ratioByN = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    double headlineEps = p.epsilons().contains(0.1) ? 0.1 : p.epsilons().getFirst();
    int headlineK = p.hiddenWidths().contains(1000) ? 1000 : p.hiddenWidths().getLast();
    int points = p.epsilons().size() * (p.hiddenWidths().size() + p.inputSizes().size());
    int done = 0;
    context.work().finished("points", 0, points);
    for (int e = 0; e < p.epsilons().size(); e++) {
      double eps = p.epsilons().get(e);
      for (String sweep : List.of("k", "n")) {
        List<Integer> values = sweep.equals("k") ? p.hiddenWidths() : p.inputSizes();
        double[] x = Sweeps.asDoubles(values);
        double[] difference = new double[x.length];
        double[] ratio = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          int n = sweep.equals("k") ? p.inputSize() : values.get(i);
          int k = sweep.equals("k") ? values.get(i) : p.hiddenWidth();
          Point point = measure(n, k, eps, p.networks(), context,
              RandomNetworkTrial.seed(context.seed(), 3, sweep.hashCode(), e, i));
          difference[i] = point.difference().mean();
          ratio[i] = point.ratio().mean();
          rows.add(List.of(sweep, n, k, eps, p.networks(), point.difference().mean(),
              point.difference().standardError(), point.ratio().mean(),
              point.ratio().standardError(), point.ratio().median(), point.ibpWidth(),
              point.expectedWidth(), point.degenerate()));
          context.progress(String.format(Locale.ROOT, "%s: eps %s, n = %d, k = %d: W_IBP - W_M"
              + " %.4g, W_IBP / W_M %.4g", ID, eps, n, k, difference[i], ratio[i]));
          context.work().finished("points", ++done, points);
          if (sweep.equals("k") && eps == headlineEps && k == headlineK) {
            headline.put(String.format(Locale.ROOT, "mean_width_ratio_k%d_n%d_eps%s", k, n, eps),
                ratio[i]);
            headline.put("check_width_ratio_k" + k + "_at_least_10", ratio[i] >= 10);
          }
        }
        String name = "eps = " + eps;
        (sweep.equals("k") ? differenceByK : differenceByN).add(new Series(name, x, difference,
            SeriesStyle.ESTIMATE));
        (sweep.equals("k") ? ratioByK : ratioByN).add(new Series(name, x, ratio,
            SeriesStyle.ESTIMATE));
      }
    }
    headline.put("networks_per_point", p.networks());
    headline.put("min_mean_width_ratio", rows.stream().mapToDouble(r -> ((Number) r.get(7))
        .doubleValue()).min().orElseThrow());
    Figure figure = new Figure(List.of(
        panel("(a) W_IBP - W_M vs k, n = " + p.inputSize(), "hidden size k",
            "mean W_IBP - W_M", differenceByK),
        panel("(b) W_IBP / W_M vs k, n = " + p.inputSize(), "hidden size k",
            "mean W_IBP / W_M", ratioByK),
        panel("(c) W_IBP - W_M vs n, k = " + p.hiddenWidth(), "input size n",
            "mean W_IBP - W_M", differenceByN),
        panel("(d) W_IBP / W_M vs n, k = " + p.hiddenWidth(), "input size n",
            "mean W_IBP / W_M", ratioByN)));
    ResultTable table = new ResultTable(List.of("sweep", "input_size", "hidden_width", "eps",
        "networks", "mean_width_difference", "width_difference_stderr", "mean_width_ratio",
        "width_ratio_stderr", "median_width_ratio", "mean_ibp_width", "mean_expected_width",
        "degenerate_networks"), rows);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "W = U - L of the single output; expected bounds by Eq. 3 (recursive masks), IBP layer"
            + " by layer; both in float64. The expected bounds are NOT sound.",
        "Networks: weights N(0, std 1/sqrt(fan_in)), PyTorch-default biases, x ~ N(0, I),"
            + " no clipping; a fresh network and centre per trial.",
        "Ratios are averaged over networks with W_M > 0 (degenerate_networks counts the others,"
            + " where every hidden unit is masked off)."));
  }

  private static Point measure(int n, int k, double eps, int networks,
      ExperimentContext context, long pointSeed) {
    double[] difference = new double[networks];
    double[] ratio = new double[networks];
    double ibpWidth = 0;
    double expectedWidth = 0;
    for (int t = 0; t < networks; t++) {
      long seed = RandomNetworkTrial.seed(pointSeed, t);
      RandomNetworkTrial r = RandomNetworkTrial.fullyConnected(List.of(n, k, 1), eps, seed,
          null, context.manager());
      difference[t] = r.widthDifference(0);
      ratio[t] = r.widthRatio(0);
      ibpWidth += r.ibp().widths()[0] / networks;
      expectedWidth += r.expected().widths()[0] / networks;
    }
    double[] finite = ValueSummary.finite(ratio);
    return new Point(ValueSummary.of(difference), ValueSummary.of(finite), ibpWidth,
        expectedWidth, networks - finite.length);
  }

  /** A panel with logarithmic axes where every value allows it. */
  static Panel panel(String title, String xLabel, String yLabel, List<Series> series) {
    boolean logY = series.stream().allMatch(s -> java.util.Arrays.stream(s.y())
        .allMatch(v -> v > 0));
    boolean logX = series.stream().allMatch(s -> java.util.Arrays.stream(s.x())
        .allMatch(v -> v > 0));
    return new Panel(title, xLabel, yLabel, logX, logY, series);
  }
}
