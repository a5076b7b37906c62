package org.certkit.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.certkit.tightness.theory.GaussianDlnSampling;
import org.certkit.tightness.theory.InitializationTightness;
import org.certkit.tightness.theory.InitializationTightnessEstimator;
import org.certkit.tightness.theory.MonteCarloEstimate;

/**
 * {@code s1-fig7}: {@code g(n)} and {@code g^2(n)} of Lemma B.2 of Mao et al. (Figure 7), the
 * expected slackness (layer-wise over optimal radius, {@code 1 / tau(n)}) of a two-layer deep
 * linear network of internal width {@code n}: increasing, {@code g(2) = 4 / pi > 1.27}, and of
 * order {@code sqrt(n)}. Monte-Carlo slackness of Gaussian networks is overlaid at chosen widths.
 */
public final class SlacknessExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s1-fig7";

  private static final int GRID_POINTS = 25;

  /**
   * The sizes of one run.
   *
   * @param maxN the closed forms are drawn for {@code n = 1..maxN}
   * @param widths internal widths with a Monte-Carlo estimate, strictly increasing, at most
   *     {@code maxN}
   * @param inputDimension {@code d_0} of the sampled networks
   * @param outputDimension {@code d_2} of the sampled networks
   * @param samples random networks per width, at least 2
   */
  public record Parameters(int maxN, List<Integer> widths, int inputDimension,
      int outputDimension, int samples) {

    /** Validates every size; copies the widths. */
    public Parameters {
      widths = List.copyOf(widths);
      Sweeps.requireIncreasing(widths, "widths");
      if (maxN < 2 || widths.get(widths.size() - 1) > maxN) {
        throw new IllegalArgumentException("need maxN >= 2 and widths up to maxN, got maxN = "
            + maxN + ", widths " + widths);
      }
      new GaussianDlnSampling(List.of(inputDimension, 1, outputDimension), samples, 0);
    }

    /** The parameters of {@code scale}. */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(1000, List.of(1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000),
            16, 16, 1000);
        case FULL -> new Parameters(5000,
            List.of(1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000), 32, 32, 2000);
      };
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Expected slackness g(n) and g(n)^2 of two-layer DLNs";
  }

  @Override
  public String paperReference() {
    return "Figure 7 (Lemma B.2, appendix B) of Mao et al., \"Understanding Certified Training"
        + " with Interval Bound Propagation\", ICLR 2024";
  }

  /** The claims of Lemma B.2. */
  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    return Map.of(
        "g_2_exceeds_1_27", new PaperValue(1, 0, "Lemma B.2: g(2) > 1.27"),
        "g_increasing_on_1_to_max_n", new PaperValue(1, 0, "Lemma B.2: g increases for n >= 1"));
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    SplittableRandom seeds = new SplittableRandom(context.seed());
    Map<Integer, MonteCarloEstimate> estimates = new LinkedHashMap<>();
    context.work().finished("widths", 0, p.widths().size());
    for (int n : p.widths()) {
      MonteCarloEstimate g = InitializationTightnessEstimator.estimate(GaussianDlnSampling
          .twoLayer(p.inputDimension(), n, p.outputDimension(), p.samples(), seeds.nextLong()))
          .slackness();
      estimates.put(n, g);
      context.progress(String.format("%s: n = %d: Monte Carlo g %.4g, closed form %.4g", ID, n,
          g.value(), InitializationTightness.g(n)));
      context.work().finished("widths", estimates.size(), p.widths().size());
    }
    List<List<Object>> rows = new ArrayList<>();
    for (int n : Sweeps.logarithmic(p.maxN(), GRID_POINTS, p.widths())) {
      double g = InitializationTightness.g(n);
      MonteCarloEstimate mc = estimates.get(n);
      rows.add(List.<Object>of(n, g, g * g, mc == null ? Double.NaN : mc.value(),
          mc == null ? Double.NaN : mc.standardError(), Math.sqrt(2 * n / Math.PI)));
    }
    ResultTable table = new ResultTable(List.of("n", "g_closed_form", "g_squared",
        "g_monte_carlo", "g_stderr", "sqrt_2n_over_pi"), rows);

    double[] all = IntStream.rangeClosed(1, p.maxN()).asDoubleStream().toArray();
    double[] g = IntStream.rangeClosed(1, p.maxN()).mapToDouble(InitializationTightness::g)
        .toArray();
    double[] gSquared = new double[g.length];
    double[] asymptote = new double[g.length];
    boolean increasing = true;
    for (int i = 0; i < g.length; i++) {
      gSquared[i] = g[i] * g[i];
      asymptote[i] = Math.sqrt(2 * all[i] / Math.PI);
      increasing &= i == 0 || g[i] > g[i - 1];
    }
    double[] widths = Sweeps.asDoubles(p.widths());
    double[] mcG = p.widths().stream().mapToDouble(n -> estimates.get(n).value()).toArray();
    double[] mcGSquared = new double[mcG.length];
    double[] squaredAsymptote = new double[g.length];
    for (int i = 0; i < mcG.length; i++) {
      mcGSquared[i] = mcG[i] * mcG[i];
    }
    for (int i = 0; i < g.length; i++) {
      squaredAsymptote[i] = asymptote[i] * asymptote[i];
    }
    Figure figure = new Figure(List.of(
        new Panel("g(n) = n Gamma(n/2) / (sqrt(pi) Gamma((n+1)/2))", "n (internal width)",
            "g(n)", true, true, List.of(
                new Series("g(n), Lemma B.2", all, g, SeriesStyle.CLOSED_FORM),
                new Series("sqrt(2n/pi)", all, asymptote, SeriesStyle.BOUND),
                new Series("Monte Carlo, Gaussian DLN", widths, mcG, SeriesStyle.ESTIMATE))),
        new Panel("g(n)^2", "n (internal width)", "g(n)^2", false, false, List.of(
            new Series("g(n)^2", all, gSquared, SeriesStyle.CLOSED_FORM),
            new Series("2n/pi", all, squaredAsymptote, SeriesStyle.BOUND),
            new Series("Monte Carlo squared", widths, mcGSquared, SeriesStyle.ESTIMATE)))));

    Map<String, Object> headline = new LinkedHashMap<>();
    headline.put("g_2", InitializationTightness.g(2));
    headline.put("g_2_exceeds_1_27", InitializationTightness.g(2) > 1.27);
    headline.put("g_increasing_on_1_to_max_n", increasing);
    headline.put("g_max_n_over_sqrt_2n_over_pi", g[g.length - 1] / asymptote[g.length - 1]);
    double worst = 0;
    for (int n : p.widths()) {
      double error = estimates.get(n).relativeError(InitializationTightness.g(n));
      worst = Math.max(worst, Math.abs(error));
      if (n == 2 || n == 10 || n == 100 || n == 1000) {
        headline.put("mc_vs_g_rel_error_n_" + n, error);
      }
    }
    headline.put("mc_vs_g_max_abs_rel_error", worst);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "g(n) = 1 / tau(n): the expected layer-wise radius over the expected optimal radius of a"
            + " two-layer Gaussian DLN with internal width n (Lemma 3.7, Lemma B.2).",
        "Monte-Carlo g is E(layer-wise) / E(optimal) over " + p.samples() + " networks of shape "
            + p.inputDimension() + " -> n -> " + p.outputDimension() + "."));
  }
}
