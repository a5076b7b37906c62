package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.net.Architectures;
import org.certkit.net.Conv2d;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.train.StandardTraining;
import org.certkit.train.TrainingConfig;

/**
 * {@code s2-appF}: histograms of the weights of the first six layers of the medium CNN
 * ({@code dm-medium}) trained on MNIST without and with L2 regularisation, each with its fitted
 * Gaussian, and per-layer moments and Kolmogorov-Smirnov distances (appendix F, Figures 18 and
 * 19, of Alsubaihi et al., "Expected Tight Bounds for Robust Deep Neural Network Training"): how
 * far trained weights are from the i.i.d. Gaussian assumption of Theorem 1.
 *
 * <p>Both networks start from the same initialisation and see the same batches; they differ only
 * in the coupled L2 weight decay of {@link TrainingConfig#weightDecay()} (Adam, as every certkit
 * run; the published code used SGD with weight decay 1e-4, which under Adam's per-weight step
 * normalisation would hardly show, hence a larger default).
 */
public final class WeightHistogramExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-appF";

  /** A weight further than this many standard deviations from the mean counts as a tail. */
  static final double TAIL = 3;

  /**
   * What runs.
   *
   * @param architecture the network (the paper: Gowal et al.'s medium model)
   * @param epochs epochs of standard training for each run (the MNIST recipe scaled)
   * @param trainSamples training images used (0 for all 60,000)
   * @param weightDecay the L2 coefficient of the regularised run, positive
   * @param layers how many weight layers (Conv2d, Linear) from the input to show
   * @param bins histogram bins per layer over mean -/+ 4 std
   */
  public record Parameters(String architecture, int epochs, int trainSamples, double weightDecay,
      int layers, int bins) {

    /** Validates. */
    public Parameters {
      if (epochs < 1 || trainSamples < 0 || !(weightDecay > 0) || layers < 1 || bins < 2) {
        throw new IllegalArgumentException("invalid " + ID + " parameters: epochs " + epochs
            + ", train samples " + trainSamples + ", weight decay " + weightDecay + ", layers "
            + layers + ", bins " + bins);
      }
    }

    /**
     * The parameters of {@code scale}: small trains 5 epochs per run, full the 70-epoch MNIST
     * recipe; both use weight decay 0.01 and the first 6 layers.
     */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters("dm-medium", 5, 0, 0.01, 6, 60);
        case FULL -> new Parameters("dm-medium", 70, 0, 0.01, 6, 80);
      };
    }
  }

  /** The weights of one layer of one run. */
  private record LayerWeights(int index, String description, double[] weights,
      WeightStatistics statistics) {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Weight histograms of the medium CNN on MNIST, without and with L2 regularisation";
  }

  @Override
  public String paperReference() {
    return "Appendix F.1 (Figures 18, 19) of Alsubaihi et al., \"Expected Tight Bounds for Robust"
        + " Deep Neural Network Training\"";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters on MNIST. */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    DatasetTraining.Splits data = DatasetTraining.load(context, DatasetName.MNIST,
        p.trainSamples(), Integer.MAX_VALUE);
    return run(p, data, context);
  }

  /** Runs on the given data (tests pass a few synthetic images of MNIST's shape). */
  ExperimentResult run(Parameters p, DatasetTraining.Splits data, ExperimentContext context) {
    double[] decays = {0, p.weightDecay()};
    String[] names = {"none", "l2"};
    List<List<LayerWeights>> runs = new ArrayList<>();
    double[] accuracy = new double[2];
    double[] seconds = new double[2];
    int epochs = 2 * p.epochs();
    context.work().finished("epochs", 0, epochs);
    for (int r = 0; r < 2; r++) {
      int before = r * p.epochs();
      TrainingConfig config = TrainingConfig.mnist(new StandardTraining(), 0, p.epochs(),
          context.seed()).toBuilder().weightDecay(decays[r]).build();
      long started = System.nanoTime();
      try (NDManager manager = context.manager().newSubManager();
          Network network = DatasetTraining.train(config,
              Architectures.Spec.of(p.architecture()), DatasetName.MNIST, data.train(), manager,
              context, ID + " " + p.architecture() + " weight decay " + decays[r],
              done -> context.work().finished("epochs", before + done, epochs))) {
        seconds[r] = (System.nanoTime() - started) / 1e9;
        accuracy[r] = DatasetTraining.accuracy(network, data.test(), manager);
        runs.add(weights(network, p.layers()));
      }
      context.progress(String.format(Locale.ROOT, "%s: weight decay %g: clean accuracy %.2f%%"
          + " (%.0f s)", ID, decays[r], 100 * accuracy[r], seconds[r]));
    }
    List<List<Object>> rows = new ArrayList<>();
    List<Panel> panels = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    headline.put("weight_decay", p.weightDecay());
    headline.put("clean_accuracy_none", accuracy[0]);
    headline.put("clean_accuracy_l2", accuracy[1]);
    double[] ksSum = new double[2];
    double[] kurtosisSum = new double[2];
    boolean shrinks = true;
    int layers = runs.get(0).size();
    for (int i = 0; i < layers; i++) {
      List<Series> series = new ArrayList<>();
      LayerWeights none = runs.get(0).get(i);
      LayerWeights l2 = runs.get(1).get(i);
      double from = Double.POSITIVE_INFINITY;
      double to = Double.NEGATIVE_INFINITY;
      for (LayerWeights w : List.of(none, l2)) {
        from = Math.min(from, w.statistics().mean() - 4 * w.statistics().std());
        to = Math.max(to, w.statistics().mean() + 4 * w.statistics().std());
      }
      for (int r = 0; r < 2; r++) {
        LayerWeights w = runs.get(r).get(i);
        WeightStatistics s = w.statistics();
        ksSum[r] += s.ksDistance();
        kurtosisSum[r] += s.excessKurtosis();
        rows.add(List.of(names[r], decays[r], i + 1, w.index(), w.description(), s.count(),
            s.mean(), s.std(), s.skewness(), s.excessKurtosis(), s.ksDistance(),
            tailFraction(w.weights(), s), accuracy[r]));
        double[][] h = density(w.weights(), from, to, p.bins());
        series.add(new Series(names[r] + String.format(Locale.ROOT, " (KS %.3f, kurt %.2f)",
            s.ksDistance(), s.excessKurtosis()), h[0], h[1], SeriesStyle.BARS));
      }
      for (int r = 0; r < 2; r++) {
        WeightStatistics s = runs.get(r).get(i).statistics();
        double[] x = new double[200];
        double[] y = new double[200];
        for (int t = 0; t < x.length; t++) {
          x[t] = from + (to - from) * t / (x.length - 1);
          y[t] = s.fittedDensity(x[t]);
        }
        series.add(new Series(String.format(Locale.ROOT, "Gaussian fit, %s (mean %.3g, std"
            + " %.3g)", names[r], s.mean(), s.std()), x, y, SeriesStyle.CLOSED_FORM));
      }
      shrinks &= l2.statistics().std() < none.statistics().std();
      panels.add(new Panel("Layer " + (i + 1) + ": " + none.description(), "weight",
          "density", false, false, series));
      headline.put("std_ratio_l2_over_none_layer" + (i + 1), l2.statistics().std()
          / none.statistics().std());
    }
    headline.put("ks_distance_mean_none", ksSum[0] / layers);
    headline.put("ks_distance_mean_l2", ksSum[1] / layers);
    headline.put("excess_kurtosis_mean_none", kurtosisSum[0] / layers);
    headline.put("excess_kurtosis_mean_l2", kurtosisSum[1] / layers);
    headline.put("check_l2_shrinks_std_every_layer", shrinks);
    headline.put("training_seconds_none", seconds[0]);
    headline.put("training_seconds_l2", seconds[1]);
    ResultTable table = new ResultTable(List.of("regularisation", "weight_decay", "layer",
        "network_layer_index", "layer_type", "weights", "mean", "std", "skewness",
        "excess_kurtosis", "ks_distance", "fraction_beyond_3_std", "clean_accuracy"), rows);
    return new ExperimentResult(p, table, new Figure(panels), headline, List.of(
        "Both runs: " + p.architecture() + ", standard training, " + p.epochs() + " epochs,"
            + " Adam (lr 5e-4, the MNIST recipe scaled), same seed; the second adds the coupled"
            + " L2 term lambda w to every gradient (torch Adam's weight_decay), lambda = "
            + p.weightDecay() + ".",
        "The published code trained with SGD and weight decay 1e-4; Adam normalises each"
            + " weight's step, so a decay that small barely moves the histograms and a larger"
            + " lambda is used to show the effect.",
        "ks_distance is the Kolmogorov-Smirnov distance to the Gaussian with the layer's mean"
            + " and std; a Gaussian has skewness and excess kurtosis 0 and 0.27% of its mass"
            + " beyond 3 std.",
        "The plot shows densities over mean -/+ 4 std (both runs' range) with the fitted"
            + " Gaussians; weights beyond it count in the table only."));
  }

  /** The weights of the first {@code count} Conv2d and Linear layers, as float64. */
  private static List<LayerWeights> weights(Network network, int count) {
    List<LayerWeights> out = new ArrayList<>();
    List<Layer> layers = network.layers();
    for (int i = 0; i < layers.size() && out.size() < count; i++) {
      float[] w = null;
      if (layers.get(i) instanceof Conv2d c) {
        w = c.weight().toFloatArray();
      } else if (layers.get(i) instanceof Linear l) {
        w = l.weight().toFloatArray();
      }
      if (w != null) {
        double[] values = new double[w.length];
        for (int t = 0; t < w.length; t++) {
          values[t] = w[t];
        }
        // Without commas, so that the CSV cell needs no quotes.
        out.add(new LayerWeights(i, layers.get(i).describe().replace(", ", " "), values,
            WeightStatistics.of(values)));
      }
    }
    return out;
  }

  /** Bin centres and densities (count / (n * bin width)) over {@code [from, to]}. */
  private static double[][] density(double[] weights, double from, double to, int bins) {
    double width = (to - from) / bins;
    double[] centres = new double[bins];
    double[] density = new double[bins];
    for (int b = 0; b < bins; b++) {
      centres[b] = from + (b + 0.5) * width;
    }
    for (double w : weights) {
      int b = (int) Math.floor((w - from) / width);
      if (b >= 0 && b < bins) {
        density[b] += 1.0 / (weights.length * width);
      }
    }
    return new double[][] {centres, density};
  }

  private static double tailFraction(double[] weights, WeightStatistics s) {
    long tails = 0;
    for (double w : weights) {
      if (Math.abs(w - s.mean()) > TAIL * s.std()) {
        tails++;
      }
    }
    return (double) tails / weights.length;
  }
}
