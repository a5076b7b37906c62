package org.certkit.experiments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.certkit.bounds.SampledBounds;

/**
 * {@code s2-fig1b}: mean coverage {@code Gamma} of the blockwise expected bounds (Eq. 6,
 * recursive masks) against network depth, for fully connected networks whose hidden layers all
 * have {@code k = n} units (Figure 1b of Alsubaihi et al., "Expected Tight Bounds for Robust Deep
 * Neural Network Training"). Depth counts affine layers: depth 2 is the {@code n-n-1} block.
 * The true interval is sampled as in {@link ExpectedCoverageExperiment}. The expected bounds are
 * not sound.
 */
public final class ExpectedCoverageDepthExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-fig1b";

  /**
   * What runs.
   *
   * @param inputSizes input sizes {@code n} (also every hidden width), strictly increasing
   * @param depths numbers of affine layers, strictly increasing, each at least 2
   * @param networks random networks per point
   * @param samples uniform points per network, besides the corners
   * @param cornerLimit inputs up to this size get all corners evaluated (the paper: 20)
   * @param eps the input radius (the paper: 0.1)
   */
  public record Parameters(List<Integer> inputSizes, List<Integer> depths, int networks,
      int samples, int cornerLimit, double eps) {

    /** Validates and copies. */
    public Parameters {
      inputSizes = List.copyOf(inputSizes);
      depths = List.copyOf(depths);
      Sweeps.requireIncreasing(inputSizes, "inputSizes");
      Sweeps.requireIncreasing(depths, "depths");
      if (depths.getFirst() < 2 || networks < 1 || !(eps > 0)) {
        throw new IllegalArgumentException("need depths >= 2, networks >= 1, eps > 0; got "
            + depths + ", " + networks + ", " + eps);
      }
      new SampledBounds(samples, cornerLimit, SampledBounds.DEFAULT_BATCH_SIZE);
    }

    /**
     * The parameters of {@code scale}: small uses 40 networks and {@code 10^4} samples (plus
     * all corners) per point; full the paper's {@code 10^3} networks and {@code 10^6} samples.
     */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(List.of(10, 20), List.of(2, 4, 6, 8, 10), 40, 10_000, 20,
            0.1);
        case FULL -> new Parameters(List.of(10, 20), Sweeps.range(2, 10), 1000, 1_000_000, 20,
            0.1);
      };
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Coverage Gamma of blockwise expected bounds vs depth, random networks with k = n";
  }

  @Override
  public String paperReference() {
    return "Figure 1b (Theorem 1, Eq. 6) of Alsubaihi et al., \"Expected Tight Bounds for Robust"
        + " Deep Neural Network Training\"";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    SampledBounds sampler = new SampledBounds(p.samples(), p.cornerLimit(),
        SampledBounds.DEFAULT_BATCH_SIZE);
    double[] depths = Sweeps.asDoubles(p.depths());
    List<List<Object>> rows = new ArrayList<>();
    List<Series> gammaSeries = new ArrayList<>();
    List<Series> ratioSeries = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    Map<Integer, Double> overall = new LinkedHashMap<>();
    int networks = p.inputSizes().size() * depths.length * p.networks();
    int done = 0;
    context.work().finished("networks", 0, networks);
    for (int n : p.inputSizes()) {
      double[] means = new double[depths.length];
      double[] ratios = new double[depths.length];
      for (int di = 0; di < depths.length; di++) {
        int depth = p.depths().get(di);
        List<Integer> widths = new ArrayList<>(Collections.nCopies(depth, n));
        widths.add(1);
        long started = System.nanoTime();
        double[] gamma = new double[p.networks()];
        double[] affineGamma = new double[p.networks()];
        double[] ratio = new double[p.networks()];
        double[] ibpGamma = new double[p.networks()];
        for (int t = 0; t < p.networks(); t++) {
          long seed = RandomNetworkTrial.seed(context.seed(), 2, n, depth, t);
          RandomNetworkTrial r = RandomNetworkTrial.fullyConnected(widths, p.eps(), seed,
              sampler, context.manager());
          gamma[t] = r.gamma(0);
          affineGamma[t] = r.affineGamma(0);
          ratio[t] = r.widthRatio(0);
          ibpGamma[t] = r.ibpGamma(0);
          context.work().finished("networks", ++done, networks);
        }
        ValueSummary g = ValueSummary.of(gamma);
        ValueSummary w = ValueSummary.of(ValueSummary.finite(ratio));
        means[di] = g.mean();
        ratios[di] = w.median();
        double contained = ValueSummary.fractionAtLeast(gamma,
            ExpectedCoverageExperiment.CONTAINED);
        rows.add(List.of(n, depth, p.networks(), g.mean(), g.standardError(), g.min(),
            contained, w.mean(), w.median(), ValueSummary.of(ibpGamma).min(),
            ValueSummary.of(affineGamma).mean()));
        context.progress(String.format("%s: n = k = %d, depth %d: mean Gamma %.4f +- %.4f,"
            + " contained %.0f%%, affine centre %.4f, median W_IBP/W_M %.3g (%.1f s)", ID, n,
            depth, g.mean(), g.standardError(), 100 * contained,
            ValueSummary.of(affineGamma).mean(), w.median(), (System.nanoTime() - started) / 1e9));
      }
      overall.put(n, Arrays.stream(means).average().orElseThrow());
      gammaSeries.add(new Series("n = k = " + n, depths, means, SeriesStyle.ESTIMATE));
      ratioSeries.add(new Series("n = k = " + n, depths, ratios, SeriesStyle.ESTIMATE));
      headline.put("mean_gamma_n" + n + "_depth" + p.depths().getLast(),
          means[depths.length - 1]);
      headline.put("mean_gamma_n" + n + "_over_depths", overall.get(n));
    }
    double[] one = new double[depths.length];
    Arrays.fill(one, 1);
    gammaSeries.add(new Series("Gamma = 1 (superset)", depths, one, SeriesStyle.BOUND));
    int smallest = p.inputSizes().getFirst();
    int largest = p.inputSizes().getLast();
    headline.put("check_larger_n_higher_gamma", overall.get(largest) >= overall.get(smallest));
    headline.put("ibp_gamma_min", rows.stream().mapToDouble(r -> ((Number) r.get(9))
        .doubleValue()).min().orElseThrow());
    Figure figure = new Figure(List.of(
        new Panel("Mean Gamma of blockwise expected bounds, eps = " + p.eps(),
            "depth (affine layers)", "mean Gamma over " + p.networks() + " networks", false,
            false, gammaSeries),
        new Panel("Median width ratio", "depth (affine layers)", "W_IBP / W_M", false, true,
            ratioSeries)));
    ResultTable table = new ResultTable(List.of("input_size", "depth", "networks",
        "mean_gamma", "gamma_stderr", "gamma_min", "fraction_contained", "mean_width_ratio",
        "median_width_ratio", "ibp_gamma_min", "mean_gamma_affine_centre"), rows);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "Expected bounds (Eq. 6, recursive masks) are NOT sound; Gamma < 1 is a miss.",
        "mean_gamma: bounds centred at the clean output f(x) (the published code);"
            + " mean_gamma_affine_centre: centred at the masked affine map G x + g.",
        "Every hidden layer has k = n units; depth counts affine layers (2 = one block).",
        "True interval: min/max over " + p.samples() + " uniform points plus all 2^n corners"
            + " (n <= " + p.cornerLimit() + "), an inner estimate.",
        "Width ratios are over networks with a finite ratio (W_M > 0).",
        "The paper reports n = 20 above n = 10 at every depth;"
            + " check_larger_n_higher_gamma compares their means over depths."));
  }
}
