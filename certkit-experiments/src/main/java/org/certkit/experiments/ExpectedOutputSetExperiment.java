package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.bounds.GaussianNetworks;
import org.certkit.bounds.Intervals;
import org.certkit.bounds.SampledBounds;
import org.certkit.domain.Box;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.net.Network;

/**
 * {@code s2-fig4}: the two-dimensional output set of random {@code n-100-100-100-100-2}
 * networks, drawn from dense uniform sampling, with the expected box {@code [L_M, U_M]}
 * (Eq. 6, recursive masks), the IBP box and the sampled box around it (Figure 4 and appendix A,
 * Figures 7-9, of Alsubaihi et al., "Expected Tight Bounds for Robust Deep Neural Network
 * Training"). Each configuration {@code (n, eps)} gets two panels: the output set with the
 * sampled and expected boxes, and the same with the IBP box, which is usually far larger. The
 * expected box is not sound.
 */
public final class ExpectedOutputSetExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-fig4";

  /**
   * What runs.
   *
   * @param inputSizes input sizes {@code n}, strictly increasing
   * @param hiddenWidths hidden widths of every network (the paper: 100, 100, 100, 100)
   * @param epsilons input radii, distinct and positive
   * @param networks random networks per {@code (n, eps)}, at least 1 (the appendix's tables: 5);
   *     the figure draws the first
   * @param samples uniform points per network for the sampled box, besides the corners
   * @param cornerLimit inputs up to this size get all corners evaluated
   * @param cloudPoints uniform points drawn in the plot (a subset of the samples)
   */
  public record Parameters(List<Integer> inputSizes, List<Integer> hiddenWidths,
      List<Double> epsilons, int networks, int samples, int cornerLimit, int cloudPoints) {

    /** Validates and copies. */
    public Parameters {
      inputSizes = List.copyOf(inputSizes);
      hiddenWidths = List.copyOf(hiddenWidths);
      epsilons = List.copyOf(epsilons);
      Sweeps.requireIncreasing(inputSizes, "inputSizes");
      if (hiddenWidths.isEmpty() || hiddenWidths.stream().anyMatch(w -> w < 1)
          || epsilons.isEmpty() || epsilons.stream().anyMatch(e -> !(e > 0))
          || epsilons.stream().distinct().count() != epsilons.size() || networks < 1
          || cloudPoints < 1
          || cloudPoints > Math.max(samples, 1)) {
        throw new IllegalArgumentException("invalid s2-fig4 parameters: hidden " + hiddenWidths
            + ", eps " + epsilons + ", samples " + samples + ", cloud " + cloudPoints);
      }
      new SampledBounds(samples, cornerLimit, SampledBounds.DEFAULT_BATCH_SIZE);
    }

    /**
     * The parameters of {@code scale}: the paper's Figure 4 ({@code n = 20}, eps 0.05, 0.1,
     * 0.25, one network each) with {@code 10^5} samples plus all corners at small scale; full
     * adds {@code n = 2} and 10 and 5 networks per setting (appendix A, Figures 7-9 and Tables
     * 2-4) and uses {@code 10^6} samples.
     */
    public static Parameters of(Scale scale) {
      List<Integer> hidden = List.of(100, 100, 100, 100);
      List<Double> eps = List.of(0.05, 0.1, 0.25);
      return switch (scale) {
        case SMALL -> new Parameters(List.of(20), hidden, eps, 1, 100_000, 20, 4000);
        case FULL -> new Parameters(List.of(2, 10, 20), hidden, eps, 5, 1_000_000, 20, 10_000);
      };
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Output sets of random n-100-100-100-100-2 networks with expected and IBP boxes";
  }

  @Override
  public String paperReference() {
    return "Figure 4 and appendix A (Figures 7-9) of Alsubaihi et al., \"Expected Tight Bounds"
        + " for Robust Deep Neural Network Training\"";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    SampledBounds sampler = new SampledBounds(p.samples(), p.cornerLimit(),
        SampledBounds.DEFAULT_BATCH_SIZE);
    List<List<Object>> rows = new ArrayList<>();
    List<Panel> panels = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    double gammaSum = 0;
    double gammaMin = 1;
    double ibpGammaMin = 1;
    double ratioSum = 0;
    int count = 0;
    int networks = p.inputSizes().size() * p.epsilons().size() * p.networks();
    int done = 0;
    context.work().finished("networks", 0, networks);
    for (int n : p.inputSizes()) {
      List<Integer> widths = new ArrayList<>();
      widths.add(n);
      widths.addAll(p.hiddenWidths());
      widths.add(2);
      for (int e = 0; e < p.epsilons().size(); e++) {
        for (int network = 0; network < p.networks(); network++) {
          double eps = p.epsilons().get(e);
          // The first network keeps the seed it had when there was one per setting.
          long seed = network == 0 ? RandomNetworkTrial.seed(context.seed(), 5, n, e)
              : RandomNetworkTrial.seed(context.seed(), 5, n, e, network);
          long started = System.nanoTime();
          try (NDManager trial = context.manager().newSubManager();
              Network net = GaussianNetworks.fullyConnected(widths, seed, trial)) {
            Box box = GaussianNetworks.gaussianBox(net.inputShape(), eps,
                RandomNetworkTrial.seed(seed, 1), trial);
            long sampleSeed = RandomNetworkTrial.seed(seed, 2);
            RandomNetworkTrial r = RandomNetworkTrial.run(net, box,
                ExpectedBoundsDomain.MaskRule.RECURSIVE, sampler, sampleSeed);
            double[][] cloud = sampler.uniformOutputs(net, box, p.cloudPoints(), sampleSeed);
            double[] gammas = new double[2];
            for (int j = 0; j < 2; j++) {
              gammas[j] = r.gamma(j);
              rows.add(List.of(n, eps, network, j, r.sampled().lower(j), r.sampled().upper(j),
                  r.expected().lower(j), r.expected().upper(j), r.ibp().lower(j),
                  r.ibp().upper(j), gammas[j], r.widthRatio(j)));
              gammaSum += gammas[j];
              gammaMin = Math.min(gammaMin, gammas[j]);
              ibpGammaMin = Math.min(ibpGammaMin, r.ibpGamma(j));
              ratioSum += r.widthRatio(j);
              count++;
            }
            String config = String.format(Locale.ROOT, "n = %d, eps = %s", n, eps);
            context.progress(String.format(Locale.ROOT, "%s: %s, network %d: Gamma %.4f, %.4f;"
                + " W_IBP/W_M %.4g, %.4g (%.1f s)", ID, config, network + 1, gammas[0], gammas[1],
                r.widthRatio(0), r.widthRatio(1), (System.nanoTime() - started) / 1e9));
            context.work().finished("networks", ++done, networks);
            if (network > 0) {
              continue;
            }
            Series points = cloud(cloud);
            Series sampled = rectangle("sampled box", r.sampled(), SeriesStyle.BOUND);
            Series expected = rectangle("expected box [L_M, U_M]", r.expected(),
                SeriesStyle.CLOSED_FORM);
            panels.add(new Panel(config + String.format(Locale.ROOT, ": Gamma %.3f, %.3f",
                gammas[0], gammas[1]), "output 1", "output 2", false, false,
                List.of(points, sampled, expected)));
            panels.add(new Panel(config + String.format(Locale.ROOT, ": with IBP (W_IBP/W_M"
                + " %.3g, %.3g)", r.widthRatio(0), r.widthRatio(1)), "output 1", "output 2",
                false, false, List.of(points, sampled, expected,
                    rectangle("IBP box", r.ibp(), SeriesStyle.BOUND))));
          }
        }
      }
    }
    headline.put("mean_gamma", gammaSum / count);
    headline.put("min_gamma", gammaMin);
    headline.put("mean_width_ratio", ratioSum / count);
    headline.put("ibp_gamma_min", ibpGammaMin);
    ResultTable table = new ResultTable(List.of("input_size", "eps", "network", "output",
        "sampled_lower", "sampled_upper", "expected_lower", "expected_upper", "ibp_lower",
        "ibp_upper", "gamma", "width_ratio"), rows);
    return new ExperimentResult(p, table, new Figure(panels), headline, List.of(
        p.networks() + " random network(s) per (n, eps), the first drawn; the cloud is "
            + p.cloudPoints() + " of the uniform"
            + " samples; the sampled box is the min/max over " + p.samples() + " uniform points"
            + " plus all 2^n corners (n <= " + p.cornerLimit() + ").",
        "The expected box (Eq. 6, recursive masks) is NOT sound: it may cut the output set.",
        "Networks: weights N(0, std 1/sqrt(fan_in)), PyTorch-default biases, x ~ N(0, I),"
            + " no clipping."));
  }

  /** The output points as markers. */
  private static Series cloud(double[][] outputs) {
    double[] x = new double[outputs.length];
    double[] y = new double[outputs.length];
    for (int i = 0; i < outputs.length; i++) {
      x[i] = outputs[i][0];
      y[i] = outputs[i][1];
    }
    return new Series("outputs of uniform inputs", x, y, SeriesStyle.SCATTER);
  }

  /** A box of two outputs as a closed polyline through its four corners. */
  static Series rectangle(String name, Intervals box, SeriesStyle style) {
    double l0 = box.lower(0);
    double u0 = box.upper(0);
    double l1 = box.lower(1);
    double u1 = box.upper(1);
    return new Series(name, new double[] {l0, u0, u0, l0, l0},
        new double[] {l1, l1, u1, u1, l1}, style);
  }
}
