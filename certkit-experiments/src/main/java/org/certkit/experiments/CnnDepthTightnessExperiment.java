package org.certkit.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.certkit.data.DatasetName;
import org.certkit.internal.Constants;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.tightness.LocalTightness;

/**
 * Tightness at initialisation of the CNNs of the first paper's depth study (CNN2 to CNN13, all
 * with BatchNorm, CIFAR-10 input shape, PyTorch's default initialisation), as local tightness and
 * as the global tightness of the same network with its ReLUs removed, compared with the values
 * stored in the paper's reference code.
 */
public final class CnnDepthTightnessExperiment implements Experiment {

  /**
   * What runs.
   *
   * @param architectures certkit architecture names, shallow to deep
   * @param inputs random inputs (uniform in [0, 1]) per network
   * @param seeds networks drawn per architecture
   */
  public record Parameters(List<String> architectures, int inputs, int seeds) {

    /** Validates sizes and copies. */
    public Parameters {
      architectures = List.copyOf(architectures);
      if (architectures.isEmpty() || inputs < 1 || seeds < 1) {
        throw new IllegalArgumentException("need architectures, inputs >= 1 and seeds >= 1");
      }
    }
  }

  /** Layer counts of the architectures, for the plot's abscissa. */
  private static final Map<String, Integer> DEPTH = Map.of("cnn2-bn", 2, "cnn3-bn", 3,
      "cnn5-bn", 5, "cnn7", 7, "cnn9", 9, "cnn11", 11, "cnn13", 13);

  /** Local and deep-linear tightness stored by the reference code (research facts, sec. 3). */
  private static final Map<String, double[]> REFERENCE = Map.of(
      "cnn2-bn", new double[] {0.138, 9.6e-2}, "cnn3-bn", new double[] {2.49e-2, 1.2e-2},
      "cnn5-bn", new double[] {3.4e-4, 7.9e-5}, "cnn7", new double[] {8.5e-8, 9.9e-9},
      "cnn9", new double[] {1.9e-10, 1.2e-11}, "cnn11", new double[] {4.9e-13, 1.4e-14},
      "cnn13", new double[] {2.1e-15, 1.6e-17});

  private static final List<String> ALL =
      List.of("cnn2-bn", "cnn3-bn", "cnn5-bn", "cnn7", "cnn9", "cnn11", "cnn13");

  @Override
  public String id() {
    return "s1-cnn-depth";
  }

  @Override
  public String title() {
    return "Tightness at initialisation of CNN2 to CNN13 with BatchNorm";
  }

  @Override
  public String paperReference() {
    return "Mao et al., Understanding Certified Training with IBP, section 4.1 (depth study at"
        + " initialisation)";
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(switch (scale) {
      case SMALL -> new Parameters(ALL, 8, 1);
      case FULL -> new Parameters(ALL, 32, 3);
    }, context);
  }

  /** Runs with explicit parameters. */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    List<List<Object>> rows = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    double[] depths = new double[p.architectures().size()];
    double[] local = new double[depths.length];
    double[] linear = new double[depths.length];
    double[] referenceLocal = new double[depths.length];
    double[] referenceLinear = new double[depths.length];
    int networks = depths.length * p.seeds();
    context.work().finished("networks", 0, networks);
    for (int a = 0; a < depths.length; a++) {
      String arch = p.architectures().get(a);
      double[] sums = new double[2];
      for (int s = 0; s < p.seeds(); s++) {
        try (NDManager manager = context.manager().newSubManager();
            Network network = Architectures.build(Architectures.Spec.of(arch),
                DatasetName.CIFAR10.inputFormat(), Initialization.DEFAULT,
                context.seed() * 1000 + s, manager)) {
          manager.getEngine().setRandomSeed((int) (context.seed() * 1000 + s));
          NDArray x = manager.randomUniform(0, 1, new Shape(p.inputs(), 3, 32, 32));
          NDArray indices = manager.arange(0, p.inputs(), 1, ai.djl.ndarray.types.DataType.INT64);
          NDArray labels = indices.mod(Constants.scalar(indices, 10));
          sums[0] += mean(LocalTightness.perExample(network, x, labels, 0,
              LocalTightness.Activations.LOCAL));
          sums[1] += mean(LocalTightness.perExample(network, x, labels, 0,
              LocalTightness.Activations.LINEAR));
        }
        context.work().finished("networks", a * p.seeds() + s + 1, networks);
      }
      depths[a] = DEPTH.getOrDefault(arch, a + 2);
      local[a] = sums[0] / p.seeds();
      linear[a] = sums[1] / p.seeds();
      double[] reference = REFERENCE.getOrDefault(arch, new double[] {Double.NaN, Double.NaN});
      referenceLocal[a] = reference[0];
      referenceLinear[a] = reference[1];
      rows.add(List.of(arch, depths[a], local[a], reference[0], linear[a], reference[1]));
      headline.put(arch + "_local_over_reference", local[a] / reference[0]);
      headline.put(arch + "_linear_over_reference", linear[a] / reference[1]);
      context.progress(String.format("%s: local %.3g (reference %.3g), deep linear %.3g"
          + " (reference %.3g)", arch, local[a], reference[0], linear[a], reference[1]));
    }
    Panel panel = new Panel("Tightness at initialisation (CIFAR-10 shape)", "layers",
        "tightness", false, true, List.of(
            new Series("local (ReLU pattern), certkit", depths, local, SeriesStyle.ESTIMATE),
            new Series("local, reference code", depths, referenceLocal, SeriesStyle.BOUND),
            new Series("deep linear, certkit", depths, linear, SeriesStyle.ESTIMATE),
            new Series("deep linear, reference code", depths, referenceLinear,
                SeriesStyle.BOUND)));
    ResultTable table = new ResultTable(List.of("architecture", "layers", "local_tightness",
        "reference_local", "linear_tightness", "reference_linear"), rows);
    return new ExperimentResult(p, table, new Figure(List.of(panel)), headline, List.of(
        "Inputs are uniform random images (CIFAR-10 files are not needed); the reference values"
            + " were computed by the paper's code, on data, at eps 1e-6.",
        "Deep linear: the same weights with every ReLU removed (global tightness)."));
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElse(Double.NaN);
  }
}
