package org.certkit.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.certkit.tightness.theory.BoxReconstruction;
import org.certkit.tightness.theory.BoxReconstructionEstimator;
import org.certkit.tightness.theory.ReconstructionEstimate;
import org.certkit.tightness.theory.ReconstructionSampling;
import org.jfree.data.statistics.Regression;

/**
 * {@code s1-fig3}: box reconstruction radius against bottleneck width {@code w = k}, optimal vs
 * IBP (Figure 3 and Theorem 3.10 of Mao et al.). Data of intrinsic dimension {@code k} in
 * {@code R^d} is embedded by {@code U_k^T} and reconstructed by {@code U_k} with a Haar-random
 * {@code U}; the reconstructed box radius over the original one grows like {@code c(d) k} for
 * layer-wise propagation and like {@code sqrt(k)} for optimal propagation.
 */
public final class ReconstructionWidthExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s1-fig3";

  /**
   * The sizes of one run (see {@link ReconstructionSampling}).
   *
   * @param dimension the data dimension {@code d}
   * @param bottleneckWidths the widths {@code w = k}, strictly increasing in {@code [1, d]}
   * @param samples Haar matrices
   * @param observedCoordinates output coordinates entering the optimal radius
   */
  public record Parameters(int dimension, List<Integer> bottleneckWidths, int samples,
      int observedCoordinates) {

    /** Validates through {@link ReconstructionSampling}; copies the widths. */
    public Parameters {
      bottleneckWidths = List.copyOf(bottleneckWidths);
      new ReconstructionSampling(dimension, bottleneckWidths, samples, observedCoordinates, 0);
    }

    /** The parameters of {@code scale}. */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(1000, List.of(1, 2, 4, 8, 16, 32, 64, 128, 256), 20, 500);
        case FULL -> new Parameters(2000, List.of(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
            50, 1000);
      };
    }

    ReconstructionSampling sampling(long seed) {
      return new ReconstructionSampling(dimension, bottleneckWidths, samples,
          observedCoordinates, seed);
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Box reconstruction radius vs bottleneck width, optimal vs IBP";
  }

  @Override
  public String paperReference() {
    return "Figure 3 (Theorem 3.10) of Mao et al., \"Understanding Certified Training with"
        + " Interval Bound Propagation\", ICLR 2024";
  }

  /** Theorem 3.10: c tends to 2/pi, IBP's width grows linearly, the optimal box's as sqrt(k). */
  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    return Map.of(
        "c_closed_form", new PaperValue(2 / Math.PI, 0.005, "Theorem 3.10 (i): c -> 2/pi ~ 0.64"),
        "c_monte_carlo", new PaperValue(2 / Math.PI, 0.005, "Theorem 3.10 (i): c -> 2/pi ~ 0.64"),
        "ibp_loglog_slope", new PaperValue(1, 0.05, "Theorem 3.10 (i): IBP width c k, linear"),
        "optimal_loglog_slope", new PaperValue(0.5, 0.05,
            "Theorem 3.10 (ii): optimal width in Theta(sqrt(k))"));
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    context.progress(ID + ": d = " + p.dimension() + ", widths " + p.bottleneckWidths() + ", "
        + p.samples() + " Haar samples");
    context.work().finished("Haar samples", 0, p.samples());
    List<ReconstructionEstimate> estimates = BoxReconstructionEstimator.estimate(
        p.sampling(context.seed()), done -> context.work().finished("Haar samples", done,
            p.samples()));
    int d = p.dimension();
    int n = estimates.size();
    double[] widths = Sweeps.asDoubles(p.bottleneckWidths());
    double[] ibp = new double[n];
    double[] optimal = new double[n];
    double[] ibpClosed = new double[n];
    double[] optimalLimit = new double[n];
    List<List<Object>> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ReconstructionEstimate e = estimates.get(i);
      int k = e.bottleneckWidth();
      ibp[i] = e.layerwiseRatio().value();
      optimal[i] = e.optimalRatio().value();
      ibpClosed[i] = BoxReconstruction.expectedLayerwiseRatio(d, k);
      optimalLimit[i] = BoxReconstruction.optimalRatioLimit(k);
      rows.add(List.<Object>of(k, ibp[i], e.layerwiseRatio().standardError(), optimal[i],
          e.optimalRatio().standardError(), ibpClosed[i], optimalLimit[i], optimal[i] / ibp[i]));
      context.progress(String.format("%s: w = %d: IBP %.4g (c(d) w = %.4g), optimal %.4g (limit"
          + " %.4g)", ID, k, ibp[i], ibpClosed[i], optimal[i], optimalLimit[i]));
    }
    ResultTable table = new ResultTable(List.of("bottleneck_width", "ibp_ratio", "ibp_stderr",
        "optimal_ratio", "optimal_stderr", "ibp_closed_form", "optimal_limit", "tightness"),
        rows);
    Figure figure = new Figure(List.of(new Panel("d = " + d + ", intrinsic dimension k = w",
        "bottleneck width w", "reconstructed / original box radius", true, true, List.of(
            new Series("IBP (layer-wise), Monte Carlo", widths, ibp, SeriesStyle.ESTIMATE),
            new Series("Theorem 3.10 (i): c(d) w", widths, ibpClosed, SeriesStyle.CLOSED_FORM),
            new Series("optimal box, Monte Carlo", widths, optimal, SeriesStyle.ESTIMATE),
            new Series("Theorem 3.10 (ii): large-d limit", widths, optimalLimit,
                SeriesStyle.CLOSED_FORM)))));
    Map<String, Object> headline = new LinkedHashMap<>();
    if (n >= 2) {
      headline.put("ibp_loglog_slope", Regression.getPowerRegression(Sweeps.pairs(widths, ibp))[1]);
      headline.put("optimal_loglog_slope",
          Regression.getPowerRegression(Sweeps.pairs(widths, optimal))[1]);
    }
    double c = 0;
    double worstIbp = 0;
    double worstOptimal = 0;
    for (int i = 0; i < n; i++) {
      c += estimates.get(i).c().value() / n;
      worstIbp = Math.max(worstIbp, Math.abs(ibp[i] / ibpClosed[i] - 1));
      worstOptimal = Math.max(worstOptimal, Math.abs(optimal[i] / optimalLimit[i] - 1));
    }
    headline.put("c_monte_carlo", c);
    headline.put("c_closed_form", BoxReconstruction.c(d));
    headline.put("ibp_vs_closed_form_max_abs_rel_error", worstIbp);
    headline.put("optimal_vs_limit_max_abs_rel_error", worstOptimal);
    headline.put("tightness_at_largest_width", optimal[n - 1] / ibp[n - 1]);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "Ratios are E(delta_i / eps) per output coordinate: delta = |U_k| |U_k^T| eps for IBP,"
            + " delta* = |U_k U_k^T| eps for the optimal box; the optimal radius is averaged"
            + " over the first " + p.observedCoordinates() + " of " + d + " coordinates.",
        "c(d) = 1/d + 2(d-1)/(pi d) is exact (derived here; the paper gives its limit 2/pi);"
            + " the optimal curve is the paper's large-d limit, accurate for w << d."));
  }
}
