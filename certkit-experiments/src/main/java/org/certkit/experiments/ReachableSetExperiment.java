package org.certkit.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.bounds.Intervals;
import org.certkit.domain.Box;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.NodeBoxes;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * {@code s1-fig1}: exact, optimal-box and IBP propagation of the square {@code [-1, 1]^2} through
 * a {@code 2-2-2} ReLU network (Figure 1 of Mao et al.): after each layer, the reachable set, its
 * optimal box (the smallest box that contains it) and the IBP box; on the logits, the input
 * whose logit difference {@code y2 - y1} is largest, and the point of the IBP relaxation that
 * gives IBP's bound on it (the last layer merged into the difference, as certification does).
 *
 * <p>The network is piecewise affine with kinks only where a first-layer pre-activation is 0,
 * so every extreme of a linear function of a layer's values is attained at a corner of the
 * square, where a kink line crosses an edge, or where two kink lines cross: the optimal boxes
 * and the true maximum come from those points, in double arithmetic, with no sampling. The
 * drawn reachable sets are the images of a grid of inputs. The IBP boxes are certkit's
 * {@link IntervalDomain} with outward rounding.
 */
public final class ReachableSetExperiment implements Experiment {

  /**
   * What runs.
   *
   * @param firstWeight {@code W1} row-major, 2 x 2
   * @param firstBias {@code b1}
   * @param secondWeight {@code W2} row-major, 2 x 2: row {@code k} gives logit {@code y_(k+1)}
   * @param secondBias {@code b2}
   * @param gridPerAxis grid points per input axis for the drawn reachable sets, at least 2
   */
  public record Parameters(double[] firstWeight, double[] firstBias, double[] secondWeight,
      double[] secondBias, int gridPerAxis) {

    /** Validates sizes and copies. */
    public Parameters {
      if (firstWeight.length != 4 || firstBias.length != 2 || secondWeight.length != 4
          || secondBias.length != 2 || gridPerAxis < 2) {
        throw new IllegalArgumentException("s1-fig1 takes 2 x 2 weights, 2 biases per layer"
            + " and a grid of at least 2 points per axis");
      }
      firstWeight = firstWeight.clone();
      firstBias = firstBias.clone();
      secondWeight = secondWeight.clone();
      secondBias = secondBias.clone();
    }

    @Override
    public double[] firstWeight() {
      return firstWeight.clone();
    }

    @Override
    public double[] firstBias() {
      return firstBias.clone();
    }

    @Override
    public double[] secondWeight() {
      return secondWeight.clone();
    }

    @Override
    public double[] secondBias() {
      return secondBias.clone();
    }

    /**
     * A network with the figure's numbers: {@code W1} rotates the square by 45 degrees
     * (scaled), so that after the ReLU the reachable set is a triangle in the box
     * {@code [0, 2]^2}; {@code y1 = 0.1 h1 + 0.05 h2 + 1}, {@code y2 = 0.55 h1 + 0.5 h2 - 0.2},
     * so {@code y2 - y1 = 0.45 (h1 + h2) - 1.2} is at most -0.3 on the triangle but 0.6 on the
     * box. The paper does not list its weights; these give its numbers. Small
     * and full scale differ in the drawn grid only.
     */
    public static Parameters of(Scale scale) {
      return new Parameters(new double[] {1, 1, 1, -1}, new double[] {0, 0},
          new double[] {0.1, 0.05, 0.55, 0.5}, new double[] {1, -0.2},
          scale == Scale.SMALL ? 61 : 201);
    }
  }

  @Override
  public String id() {
    return "s1-fig1";
  }

  @Override
  public String title() {
    return "Exact, optimal-box and IBP propagation through a 2-2-2 ReLU network";
  }

  @Override
  public String paperReference() {
    return "Mao et al., Understanding Certified Training with IBP: Figure 1";
  }

  /** The numbers of Figure 1's text (the paper gives no weights; certkit's are chosen to fit). */
  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    String text = "Section 2, Figure 1 text";
    return Map.of(
        "true_max_logit_difference", new PaperValue(-0.3, 0.05, text + ": -0.3 >= y2 - y1"),
        "ibp_logit_difference_bound", new PaperValue(0.6, 0.05, text + ": IBP 0.6 >= y2 - y1"),
        "robust", new PaperValue(1, 0, text + ": the network is robust"),
        "ibp_proves_robustness", new PaperValue(0, 0, text + ": IBP too imprecise to prove it"),
        "optimal_box_of_logits_proves_robustness", new PaperValue(1, 0,
            text + ": the optimal box suffices"));
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters. */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    // Three propagations: the exact one (candidates and grid), IBP's boxes, IBP's difference.
    context.work().finished("propagations", 0, 3);
    double[][] candidates = extremeCandidates(p);
    double[][][] atCandidates = layers(p, candidates);
    double[][][] atGrid = layers(p, grid(p.gridPerAxis()));
    context.work().finished("propagations", 1, 3);
    String[] names = {"input x", "after Linear 1: z = W1 x + b1", "after ReLU: h = ReLU(z)",
        "after Linear 2: logits y = W2 h + b2"};
    String[] axes = {"x", "z", "h", "y"};
    Intervals[] ibp = ibpBoxes(p, context.manager());
    context.work().finished("propagations", 2, 3);
    double ibpDifference = ibpDifferenceBound(p, context.manager());
    context.work().finished("propagations", 3, 3);
    List<List<Object>> rows = new ArrayList<>();
    List<Panel> panels = new ArrayList<>();
    Intervals[] optimal = new Intervals[4];
    for (int layer = 0; layer < 4; layer++) {
      optimal[layer] = box(atCandidates[layer]);
      for (int unit = 0; unit < 2; unit++) {
        rows.add(List.of(names[layer], unit + 1, optimal[layer].lower(unit),
            optimal[layer].upper(unit), ibp[layer].lower(unit), ibp[layer].upper(unit)));
      }
    }
    int best = 0;
    for (int i = 1; i < candidates.length; i++) {
      if (difference(atCandidates[3][i]) > difference(atCandidates[3][best])) {
        best = i;
      }
    }
    double trueMax = difference(atCandidates[3][best]);
    // IBP's bound on y2 - y1 is attained at the corner of the h box that maximises it.
    double[] w2 = p.secondWeight();
    double[] relaxedH = new double[2];
    for (int j = 0; j < 2; j++) {
      relaxedH[j] = w2[2 + j] - w2[j] >= 0 ? ibp[2].upper(j) : ibp[2].lower(j);
    }
    double[] relaxedY = affine(w2, p.secondBias(), relaxedH);
    for (int layer = 0; layer < 4; layer++) {
      List<Series> series = new ArrayList<>(List.of(
          cloud("reachable set (grid image)", atGrid[layer]),
          ExpectedOutputSetExperiment.rectangle("optimal box", optimal[layer],
              SeriesStyle.CLOSED_FORM),
          ExpectedOutputSetExperiment.rectangle("IBP box", ibp[layer], SeriesStyle.BOUND)));
      double[] concrete = atCandidates[layer][best];
      series.add(new Series("input maximising y2 - y1", new double[] {concrete[0]},
          new double[] {concrete[1]}, SeriesStyle.ESTIMATE));
      if (layer == 2 || layer == 3) {
        double[] relaxed = layer == 2 ? relaxedH : relaxedY;
        series.add(new Series("IBP relaxation's maximiser", new double[] {relaxed[0]},
            new double[] {relaxed[1]}, SeriesStyle.ESTIMATE));
      }
      String title = layer < 3 ? names[layer] : names[layer] + String.format(Locale.ROOT,
          " (max y2 - y1: true %.2f, IBP %.2f)", trueMax, ibpDifference);
      panels.add(new Panel(title, axes[layer] + "1", axes[layer] + "2", false, false,
          series));
    }
    Map<String, Object> headline = new LinkedHashMap<>();
    headline.put("true_max_logit_difference", trueMax);
    headline.put("optimal_box_logit_difference_bound", trueMax);
    headline.put("ibp_logit_difference_bound", ibpDifference);
    headline.put("optimal_box_of_logits_difference_bound",
        optimal[3].upper(1) - optimal[3].lower(0));
    headline.put("ibp_box_of_logits_difference_bound", ibp[3].upper(1) - ibp[3].lower(0));
    headline.put("robust", trueMax < 0);
    headline.put("ibp_proves_robustness", ibpDifference < 0);
    headline.put("optimal_box_of_logits_proves_robustness",
        optimal[3].upper(1) - optimal[3].lower(0) < 0);
    context.progress(String.format(Locale.ROOT, "max y2 - y1: true %.4f, IBP %.4f", trueMax,
        ibpDifference));
    return new ExperimentResult(p, new ResultTable(List.of("layer", "unit", "optimal_lower",
        "optimal_upper", "ibp_lower", "ibp_upper"), rows), new Figure(panels), headline,
        List.of("The paper: the true maximum of y2 - y1 is -0.3 (robust), IBP only bounds it"
                + " by 0.6, and the optimal box is precise enough to prove robustness.",
            "Optimal boxes and the true maximum are exact (extremes over the corners and kink"
                + " crossings of the piecewise-affine network); IBP boxes are certkit's sound"
                + " interval bounds, the difference bound with the last layer merged."));
  }

  /** {@code y2 - y1}. */
  private static double difference(double[] y) {
    return y[1] - y[0];
  }

  /**
   * The corners of the square, the crossings of the first layer's kink lines
   * {@code w . x + b = 0} with its edges, and their crossings with each other inside it.
   */
  static double[][] extremeCandidates(Parameters p) {
    double[] w = p.firstWeight();
    double[] b = p.firstBias();
    List<double[]> points = new ArrayList<>();
    for (double x1 : new double[] {-1, 1}) {
      for (double x2 : new double[] {-1, 1}) {
        points.add(new double[] {x1, x2});
      }
    }
    for (int i = 0; i < 2; i++) {
      double a1 = w[2 * i];
      double a2 = w[2 * i + 1];
      for (double edge : new double[] {-1, 1}) {
        if (a2 != 0) {
          addIfInside(points, edge, -(b[i] + a1 * edge) / a2);
        }
        if (a1 != 0) {
          addIfInside(points, -(b[i] + a2 * edge) / a1, edge);
        }
      }
    }
    double det = w[0] * w[3] - w[1] * w[2];
    if (det != 0) {
      addIfInside(points, (-b[0] * w[3] + b[1] * w[1]) / det,
          (-w[0] * b[1] + w[2] * b[0]) / det);
    }
    return points.toArray(double[][]::new);
  }

  private static void addIfInside(List<double[]> points, double x1, double x2) {
    if (Math.abs(x1) <= 1 && Math.abs(x2) <= 1) {
      points.add(new double[] {x1, x2});
    }
  }

  /** The square's grid, {@code n} points per axis. */
  private static double[][] grid(int n) {
    double[][] points = new double[n * n][];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        points[i * n + j] = new double[] {-1 + 2.0 * i / (n - 1), -1 + 2.0 * j / (n - 1)};
      }
    }
    return points;
  }

  /** The values of {@code x}, {@code z}, {@code h} and {@code y} at every input, in doubles. */
  private static double[][][] layers(Parameters p, double[][] inputs) {
    double[][][] out = new double[4][inputs.length][];
    for (int i = 0; i < inputs.length; i++) {
      double[] z = affine(p.firstWeight(), p.firstBias(), inputs[i]);
      double[] h = {Math.max(0, z[0]), Math.max(0, z[1])};
      out[0][i] = inputs[i].clone();
      out[1][i] = z;
      out[2][i] = h;
      out[3][i] = affine(p.secondWeight(), p.secondBias(), h);
    }
    return out;
  }

  private static double[] affine(double[] w, double[] b, double[] v) {
    return new double[] {w[0] * v[0] + w[1] * v[1] + b[0], w[2] * v[0] + w[3] * v[1] + b[1]};
  }

  private static Intervals box(double[][] points) {
    double[] lower = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
    double[] upper = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (double[] v : points) {
      for (int j = 0; j < 2; j++) {
        lower[j] = Math.min(lower[j], v[j]);
        upper[j] = Math.max(upper[j], v[j]);
      }
    }
    return new Intervals(lower, upper);
  }

  private static Series cloud(String name, double[][] points) {
    double[] x = new double[points.length];
    double[] y = new double[points.length];
    for (int i = 0; i < points.length; i++) {
      x[i] = points[i][0];
      y[i] = points[i][1];
    }
    return new Series(name, x, y, SeriesStyle.SCATTER);
  }

  /** The figure's network in certkit, float64. */
  private static Network network(Parameters p, NDManager manager) {
    NDManager m = manager.newSubManager();
    List<Layer> layers = List.of(
        new Linear(m.create(p.firstWeight(), new Shape(2, 2)), m.create(p.firstBias())),
        new Relu(),
        new Linear(m.create(p.secondWeight(), new Shape(2, 2)), m.create(p.secondBias())));
    return new Network("s1-fig1", new Shape(2), layers, m);
  }

  private static Box square(NDManager manager) {
    return Box.fromBounds(manager.create(new double[] {-1, -1}, new Shape(1, 2)),
        manager.create(new double[] {1, 1}, new Shape(1, 2)));
  }

  /** certkit's sound IBP boxes of the input and of the three layers' outputs. */
  private static Intervals[] ibpBoxes(Parameters p, NDManager manager) {
    try (NDManager scope = manager.newSubManager(); Network net = network(p, scope)) {
      Box input = square(scope);
      NodeBoxes boxes = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).nodeBoxes(net,
          input, BatchStatistics.evaluation());
      return new Intervals[] {Intervals.of(input), Intervals.of(boxes.of(0)),
          Intervals.of(boxes.of(1)), Intervals.of(boxes.of(2))};
    }
  }

  /** IBP's sound upper bound of {@code y2 - y1}, the last layer merged into the difference. */
  private static double ibpDifferenceBound(Parameters p, NDManager manager) {
    try (NDManager scope = manager.newSubManager(); Network net = network(p, scope)) {
      Box input = square(scope);
      NDArray label = scope.create(new long[] {0});
      NDArray lower = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).lowerBounds(net,
          new InputSet.BoxRegion(input.lower(), input.upper()),
          new Specification.Margins(label), BatchStatistics.evaluation());
      // Row 1 is the lower bound of y1 - y2.
      return -lower.toType(DataType.FLOAT64, false).toDoubleArray()[1];
    }
  }
}
