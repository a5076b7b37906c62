package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.bounds.GaussianNetworks;
import org.certkit.domain.Box;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.net.Network;

/**
 * {@code s2-fig3}: width of IBP against expected bounds as networks get deeper (Figure 3 of
 * Alsubaihi et al., "Expected Tight Bounds for Robust Deep Neural Network Training"): fully
 * connected random networks with {@code n = k} (500 in the paper) and blockwise expected bounds
 * with recursive masks (Eq. 6), and small random CNNs whose masks come from IBP upper bounds
 * ({@link ExpectedBoundsDomain.MaskRule#INTERVAL}, what the paper does for convolutional
 * networks), each for several {@code eps}. Depth counts affine layers (convolutions plus the
 * final Linear layer). The expected bounds are not sound.
 */
public final class ExpectedWidthDepthExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-fig3";

  /**
   * What runs.
   *
   * @param width {@code n = k} of the fully connected networks
   * @param depths their numbers of affine layers, strictly increasing, each at least 2
   * @param networks random fully connected networks per point
   * @param cnnSide the CNN input is {@code 1 x side x side}
   * @param cnnChannels channels of every convolution (3x3, stride 1, padding 1)
   * @param cnnDepths numbers of affine layers of the CNNs (convolutions + 1), increasing, >= 2
   * @param cnnNetworks random CNNs per point
   * @param epsilons input radii, distinct and positive
   */
  public record Parameters(int width, List<Integer> depths, int networks, int cnnSide,
      int cnnChannels, List<Integer> cnnDepths, int cnnNetworks, List<Double> epsilons) {

    /** Validates and copies. */
    public Parameters {
      depths = List.copyOf(depths);
      cnnDepths = List.copyOf(cnnDepths);
      epsilons = List.copyOf(epsilons);
      Sweeps.requireIncreasing(depths, "depths");
      Sweeps.requireIncreasing(cnnDepths, "cnnDepths");
      if (width < 1 || networks < 1 || cnnSide < 1 || cnnChannels < 1 || cnnNetworks < 1
          || depths.getFirst() < 2 || cnnDepths.getFirst() < 2 || epsilons.isEmpty()
          || epsilons.stream().anyMatch(e -> !(e > 0))
          || epsilons.stream().distinct().count() != epsilons.size()) {
        throw new IllegalArgumentException("invalid s2-fig3 parameters: width " + width
            + ", depths " + depths + ", networks " + networks + ", CNN " + cnnSide + "/"
            + cnnChannels + "/" + cnnDepths + "/" + cnnNetworks + ", eps " + epsilons);
      }
    }

    /**
     * The parameters of {@code scale}: fully connected {@code n = k = 500} as in the paper at
     * both scales (30 networks per point at small scale, 100 at full); CNNs on 1x12x12 inputs
     * with 8 channels (small) or 1x16x16 with 16 channels (full).
     */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(500, List.of(2, 4, 6, 8, 10), 30, 12, 8,
            List.of(2, 3, 4, 6, 8), 30, List.of(0.01, 0.1, 0.5));
        case FULL -> new Parameters(500, Sweeps.range(2, 10), 100, 16, 16,
            Sweeps.range(2, 10), 100, List.of(0.01, 0.1, 0.5, 1.0));
      };
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Width of IBP vs expected bounds against depth, fully connected and convolutional";
  }

  @Override
  public String paperReference() {
    return "Figure 3 (Section 3.3, Eq. 6) of Alsubaihi et al., \"Expected Tight Bounds for Robust"
        + " Deep Neural Network Training\"";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters (tests pass small ones). */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    List<List<Object>> rows = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    List<Panel> panels = new ArrayList<>();
    double headlineEps = p.epsilons().contains(0.1) ? 0.1 : p.epsilons().getFirst();
    int total = p.epsilons().size() * (p.depths().size() * p.networks()
        + p.cnnDepths().size() * p.cnnNetworks());
    int done = 0;
    context.work().finished("networks", 0, total);
    for (String family : List.of("fc", "cnn")) {
      boolean fc = family.equals("fc");
      List<Integer> depths = fc ? p.depths() : p.cnnDepths();
      int networks = fc ? p.networks() : p.cnnNetworks();
      ExpectedBoundsDomain.MaskRule rule = fc ? ExpectedBoundsDomain.MaskRule.RECURSIVE
          : ExpectedBoundsDomain.MaskRule.INTERVAL;
      double[] x = Sweeps.asDoubles(depths);
      List<Series> differences = new ArrayList<>();
      List<Series> ratios = new ArrayList<>();
      for (int e = 0; e < p.epsilons().size(); e++) {
        double eps = p.epsilons().get(e);
        double[] difference = new double[x.length];
        double[] ratio = new double[x.length];
        for (int d = 0; d < x.length; d++) {
          int depth = depths.get(d);
          long started = System.nanoTime();
          double[] differenceValues = new double[networks];
          double[] ratioValues = new double[networks];
          for (int t = 0; t < networks; t++) {
            long seed = RandomNetworkTrial.seed(context.seed(), 4, fc ? 0 : 1, e, depth, t);
            try (NDManager trial = context.manager().newSubManager();
                Network net = fc ? fullyConnected(p.width(), depth, seed, trial)
                    : GaussianNetworks.convolutional(1, p.cnnSide(),
                        Collections.nCopies(depth - 1, p.cnnChannels()), 3, 1, seed, trial)) {
              Box box = GaussianNetworks.gaussianBox(net.inputShape(), eps,
                  RandomNetworkTrial.seed(seed, 1), trial);
              RandomNetworkTrial r = RandomNetworkTrial.run(net, box, rule, null, 0);
              differenceValues[t] = r.widthDifference(0);
              ratioValues[t] = r.widthRatio(0);
            }
            context.work().finished("networks", ++done, total);
          }
          double[] finite = ValueSummary.finite(ratioValues);
          ValueSummary dif = ValueSummary.of(differenceValues);
          ValueSummary rat = ValueSummary.of(finite);
          difference[d] = dif.mean();
          ratio[d] = rat.mean();
          rows.add(List.of(family, rule.name().toLowerCase(Locale.ROOT), depth, eps, networks,
              dif.mean(), dif.standardError(), rat.mean(), rat.standardError(), rat.median(),
              rat.min(), networks - finite.length));
          context.progress(String.format(Locale.ROOT, "%s: %s, depth %d, eps %s: W_IBP - W_M"
              + " %.4g, W_IBP / W_M mean %.4g, median %.4g (%.1f s)", ID, family, depth, eps,
              dif.mean(), rat.mean(), rat.median(), (System.nanoTime() - started) / 1e9));
          if (eps == headlineEps && d == x.length - 1) {
            String key = String.format(Locale.ROOT, "%s_mean_width_ratio_depth%d_eps%s",
                family, depth, eps);
            headline.put(key, rat.mean());
            headline.put(key.replace("mean_width_ratio", "median_width_ratio"), rat.median());
            if (fc) {
              headline.put("check_fc_width_ratio_depth" + depth + "_above_1e6", rat.mean() > 1e6);
            }
          }
        }
        differences.add(new Series("eps = " + eps, x, difference, SeriesStyle.ESTIMATE));
        ratios.add(new Series("eps = " + eps, x, ratio, SeriesStyle.ESTIMATE));
      }
      String what = fc ? "fully connected, n = k = " + p.width() + ", recursive masks"
          : "CNN 1x" + p.cnnSide() + "x" + p.cnnSide() + ", " + p.cnnChannels()
              + " channels, interval masks";
      panels.add(ExpectedWidthExperiment.panel("W_IBP - W_M, " + what, "depth (affine layers)",
          "mean W_IBP - W_M", differences));
      panels.add(ExpectedWidthExperiment.panel("W_IBP / W_M, " + what, "depth (affine layers)",
          "mean W_IBP / W_M", ratios));
    }
    ResultTable table = new ResultTable(List.of("family", "mask_rule", "depth", "eps",
        "networks", "mean_width_difference", "width_difference_stderr", "mean_width_ratio",
        "width_ratio_stderr", "median_width_ratio", "min_width_ratio", "degenerate_networks"),
        rows);
    return new ExperimentResult(p, table, new Figure(panels), headline, List.of(
        "Expected bounds are NOT sound; a large ratio says how much narrower, not that they"
            + " hold.",
        "Networks: weights N(0, std 1/sqrt(fan_in)), PyTorch-default biases, x ~ N(0, I),"
            + " no clipping; one output; depth counts affine layers.",
        "Fully connected: blockwise masks of Eq. 6; CNN: masks from IBP upper bounds, as the"
            + " paper does for convolutional networks.",
        "Ratios are averaged over networks with W_M > 0 (degenerate_networks counts the"
            + " others)."));
  }

  private static Network fullyConnected(int width, int depth, long seed, NDManager manager) {
    List<Integer> widths = new ArrayList<>(Collections.nCopies(depth, width));
    widths.add(1);
    return GaussianNetworks.fullyConnected(widths, seed, manager);
  }
}
