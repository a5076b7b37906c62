package org.certkit.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.bounds.Coverage;
import org.certkit.bounds.Intervals;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.milp.MilpBound;
import org.certkit.milp.MilpBounds;
import org.certkit.milp.MilpOptions;
import org.certkit.milp.OutputBounds;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/**
 * {@code s2-appE}: the failure example of appendix E of Alsubaihi et al., "Expected Tight Bounds
 * for Robust Deep Neural Network Training", computed: the block {@code A1 = 1000 ones(n, n)},
 * {@code b1 = -999 1}, {@code a2 = -10 1}, {@code b2 = 0} on the box {@code [-1, 1]^n} (centre 0,
 * radius 1, not clipped), whose weights are far from the Gaussian assumption of Theorem 1.
 *
 * <p>Every hidden unit is {@code relu(1000 sum(x) - 999)}, so the true range is
 * {@code [-10 n (1000 n - 999), 0]} and IBP, with pre-activation box
 * {@code [-1000 n - 999, 1000 n - 999]}, is exact. Every mask is 1, and the expected bounds are
 * {@code a2^T b1 -/+ |a2^T A1| 1 = 9990 n -/+ 10000 n^2} (masked-affine centre, Eq. 3) or
 * {@code 0 -/+ 10000 n^2} (clean centre). The appendix's algebra writes {@code |A1| 1 = 1000} and
 * {@code |a2^T A1| 1 = 10000 n}, which holds for {@code n = 1} only: its {@code [-10, 19990]}
 * and {@code [-10, 0]} reproduce exactly there, and for larger {@code n} its formulas drop a
 * factor {@code n}. Ground truth: MILP (solver bounds, within the solver's tolerances), all {@code 2^n} corners (the output is concave,
 * so its minimum is at a corner, and its maximum 0 is reached at the corner {@code -1}), and the
 * closed form.
 */
public final class ExpectedBoundsFailureExperiment implements Experiment {

  /** The experiment id. */
  public static final String ID = "s2-appE";

  /**
   * What runs.
   *
   * @param sizes input sizes {@code n}, strictly increasing
   * @param cornerLimit sizes up to this get all {@code 2^n} corners evaluated
   * @param milpSecondsPerBound time limit of each MILP solve
   */
  public record Parameters(List<Integer> sizes, int cornerLimit, double milpSecondsPerBound) {

    /** Validates and copies. */
    public Parameters {
      sizes = List.copyOf(sizes);
      Sweeps.requireIncreasing(sizes, "sizes");
      if (sizes.getFirst() < 1 || cornerLimit < 0 || cornerLimit > 20
          || !(milpSecondsPerBound > 0)) {
        throw new IllegalArgumentException("invalid " + ID + " parameters: sizes " + sizes
            + ", corner limit " + cornerLimit + " (at most 20), MILP limit "
            + milpSecondsPerBound);
      }
    }

    /** The brief's sizes {@code 1, 2, 3, 5, 10} at both scales (the run takes seconds). */
    public static Parameters of(Scale scale) {
      return switch (scale) {
        case SMALL -> new Parameters(List.of(1, 2, 3, 5, 10), 10, 10);
        case FULL -> new Parameters(List.of(1, 2, 3, 5, 10, 15, 20), 20, 60);
      };
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String title() {
    return "Appendix E failure example: expected bounds vs IBP and true bounds";
  }

  @Override
  public String paperReference() {
    return "Appendix E (failure example) of Alsubaihi et al., \"Expected Tight Bounds for Robust"
        + " Deep Neural Network Training\"";
  }

  /** Appendix E's bounds at n = 1, and the width ratio they imply. */
  @Override
  public Map<String, PaperValue> paperValues(Scale scale) {
    return Map.of(
        "check_n1_expected_is_paper_minus10_19990", new PaperValue(1, 0,
            "Appendix E: expected bounds [-10, 19990] at n = 1"),
        "check_n1_ibp_is_paper_minus10_0", new PaperValue(1, 0,
            "Appendix E: IBP bounds [-10, 0] at n = 1"),
        "width_expected_over_ibp_n1", new PaperValue(2000, 1e-6,
            "Appendix E: (19990 + 10) / 10 from its bounds at n = 1"));
  }

  @Override
  public ExperimentResult run(Scale scale, ExperimentContext context) {
    return run(Parameters.of(scale), context);
  }

  /** Runs with explicit parameters. */
  public ExperimentResult run(Parameters p, ExperimentContext context) {
    MilpBounds milp = new MilpBounds(MilpOptions.withTimeLimit(p.milpSecondsPerBound()));
    List<List<Object>> rows = new ArrayList<>();
    Map<String, Object> headline = new LinkedHashMap<>();
    int count = p.sizes().size();
    double[] sizes = Sweeps.asDoubles(p.sizes());
    double[] expectedWidth = new double[count];
    double[] ibpWidth = new double[count];
    double[] trueWidth = new double[count];
    double[] paperExpectedWidth = new double[count];
    double[] paperIbpWidth = new double[count];
    boolean allAgree = true;
    boolean allContained = true;
    double[] identityExpectedWidth = new double[count];
    double[] identityIbpWidth = new double[count];
    int networks = 2 * count;
    int done = 0;
    context.work().finished("networks", 0, networks);
    for (int s = 0; s < count; s++) {
      for (boolean identity : new boolean[] {false, true}) {
        int n = p.sizes().get(s);
        try (NDManager scope = context.manager().newSubManager();
            Network net = network(scope, n, identity)) {
          NDArray zero = scope.zeros(new Shape(1, 1, 1, n), DataType.FLOAT64);
          Box box = new Box(zero, scope.ones(new Shape(1, 1, 1, n), DataType.FLOAT64));
          Intervals affine = Intervals.of(new ExpectedBoundsDomain(
              ExpectedBoundsDomain.MaskRule.RECURSIVE, ExpectedBoundsDomain.Centre.MASKED_AFFINE)
              .propagate(net, box));
          Intervals clean = Intervals.of(new ExpectedBoundsDomain(
              ExpectedBoundsDomain.MaskRule.RECURSIVE, ExpectedBoundsDomain.Centre.CLEAN_OUTPUT)
              .propagate(net, box));
          Intervals intervalMasks = Intervals.of(new ExpectedBoundsDomain(
              ExpectedBoundsDomain.MaskRule.INTERVAL, ExpectedBoundsDomain.Centre.MASKED_AFFINE)
              .propagate(net, box));
          Intervals ibp = Intervals.of(new IntervalDomain(IntervalDomain.Rounding.NEAREST)
              .propagate(net, box, BatchStatistics.evaluation()));
          OutputBounds exact = milp.outputBounds(net, box);
          MilpBound milpLower = exact.lower().getFirst();
          MilpBound milpUpper = exact.upper().getFirst();
          double[] corners = n <= p.cornerLimit() ? corners(net, n, scope)
              : new double[] {Double.NaN, Double.NaN};
          // With A1 = 1000 ones every hidden unit sees 1000 sum(x); with 1000 I only its own x_i.
          double fanIn = identity ? 1 : n;
          double trueLower = -10.0 * n * (1000.0 * fanIn - 999);
          double trueUpper = 0;
          double algebraCentre = 9990.0 * n;
          double algebraRadius = 10000.0 * n * fanIn;
          double paperLower = -10.0 * n;
          double paperUpper = 19990.0 * n;
          double wM = affine.widths()[0];
          double wIbp = ibp.widths()[0];
          boolean agree = Math.abs(affine.lower(0) - (algebraCentre - algebraRadius)) <= 1e-9
              * algebraRadius && Math.abs(affine.upper(0) - (algebraCentre + algebraRadius))
              <= 1e-9 * algebraRadius
              && Math.abs(clean.lower(0) + algebraRadius) <= 1e-9 * algebraRadius
              && Math.abs(clean.upper(0) - algebraRadius) <= 1e-9 * algebraRadius
              && affine.equals(intervalMasks)
              && Math.abs(ibp.lower(0) - trueLower) <= 1e-9 * Math.abs(trueLower)
              && Math.abs(ibp.upper(0) - trueUpper) <= 1e-9
              && milpLower instanceof MilpBound.Optimal && milpUpper instanceof MilpBound.Optimal
              && Math.abs(milpLower.value() - trueLower) <= milp.options().allowance(trueLower)
                  + 1e-6
              && Math.abs(milpUpper.value() - trueUpper) <= milp.options().allowance(trueUpper)
                  + 1e-6
              && (Double.isNaN(corners[0]) || (corners[0] == trueLower && corners[1] == trueUpper));
          allAgree &= agree;
          double gammaAffine = Coverage.gamma(affine.lower(0), affine.upper(0), trueLower,
              trueUpper);
          double gammaClean = Coverage.gamma(clean.lower(0), clean.upper(0), trueLower, trueUpper);
          allContained &= gammaAffine == 1 && gammaClean == 1;
          if (identity) {
            identityExpectedWidth[s] = wM;
            identityIbpWidth[s] = wIbp;
          } else {
            expectedWidth[s] = wM;
            ibpWidth[s] = wIbp;
            trueWidth[s] = trueUpper - trueLower;
            paperExpectedWidth[s] = paperUpper - paperLower;
            paperIbpWidth[s] = 10.0 * n;
          }
          rows.add(List.of(n, identity ? "1000 I" : "1000 ones", affine.lower(0), affine.upper(0), clean.lower(0), clean.upper(0),
              ibp.lower(0), ibp.upper(0), milpLower.value(), milpUpper.value(),
              exact.allOptimal() ? "yes" : "no", corners[0], corners[1], trueLower, trueUpper,
              algebraCentre - algebraRadius, algebraCentre + algebraRadius, paperLower, paperUpper,
              -10.0 * n, 0.0, wM, wIbp, wM / wIbp, gammaAffine, gammaClean,
              milpLower.seconds() + milpUpper.seconds()));
          context.progress(String.format(Locale.ROOT, "%s: A1 = %s, n = %d: expected [%.0f, %.0f],"
                  + " IBP [%.0f, %.0f], MILP [%.4f, %.4f], true [%.0f, %.0f], W_M / W_IBP %.4g", ID,
              identity ? "1000 I" : "1000 ones", n, affine.lower(0), affine.upper(0), ibp.lower(0), ibp.upper(0), milpLower.value(),
              milpUpper.value(), trueLower, trueUpper, wM / wIbp));
          if (n == 1 && !identity) {
            headline.put("expected_bounds_n1", "[" + fmt(affine.lower(0)) + ", "
                + fmt(affine.upper(0)) + "]");
            headline.put("ibp_bounds_n1", "[" + fmt(ibp.lower(0)) + ", " + fmt(ibp.upper(0))
                + "]");
            headline.put("check_n1_expected_is_paper_minus10_19990",
                affine.lower(0) == -10 && affine.upper(0) == 19990);
            headline.put("check_n1_ibp_is_paper_minus10_0", ibp.lower(0) == -10
                && ibp.upper(0) == 0);
            headline.put("width_expected_over_ibp_n1", wM / wIbp);
          }
        }
        context.work().finished("networks", ++done, networks);
      }
    }
    int last = count - 1;
    headline.put("width_expected_over_ibp_n" + p.sizes().get(last), expectedWidth[last]
        / ibpWidth[last]);
    headline.put("width_expected_over_ibp_identity_n" + p.sizes().get(last),
        identityExpectedWidth[last] / identityIbpWidth[last]);
    headline.put("check_all_n_expected_ibp_milp_corners_match_closed_forms", allAgree);
    headline.put("check_expected_bounds_contain_true_range_all_n", allContained);
    Figure figure = new Figure(List.of(new Panel("Appendix E: interval widths vs n",
        "input size n", "width", true, true, List.of(
            new Series("expected W_M (computed)", sizes, expectedWidth, SeriesStyle.ESTIMATE),
            new Series("IBP W_IBP (computed)", sizes, ibpWidth, SeriesStyle.ESTIMATE),
            new Series("true range (MILP, corners)", sizes, trueWidth, SeriesStyle.CLOSED_FORM),
            new Series("paper's printed W_M = 20000 n", sizes, paperExpectedWidth,
                SeriesStyle.BOUND),
            new Series("paper's printed W_IBP = 10 n", sizes, paperIbpWidth,
                SeriesStyle.BOUND),
            new Series("expected W_M, A1 = 1000 I", sizes, identityExpectedWidth,
                SeriesStyle.ESTIMATE),
            new Series("IBP W_IBP, A1 = 1000 I", sizes, identityIbpWidth,
                SeriesStyle.ESTIMATE)))));
    ResultTable table = new ResultTable(List.of("n", "a1", "expected_lower", "expected_upper",
        "expected_clean_lower", "expected_clean_upper", "ibp_lower", "ibp_upper", "milp_lower",
        "milp_upper", "milp_optimal", "corners_lower", "corners_upper", "true_lower",
        "true_upper", "algebra_expected_lower", "algebra_expected_upper",
        "paper_expected_lower", "paper_expected_upper", "paper_ibp_lower", "paper_ibp_upper",
        "width_expected", "width_ibp", "width_expected_over_ibp", "gamma_expected",
        "gamma_expected_clean", "milp_seconds"), rows);
    return new ExperimentResult(p, table, figure, headline, List.of(
        "expected_* are Eq. 3 (masked-affine centre, recursive masks; interval masks give the"
            + " same), expected_clean_* the published code's convention centred at f(0) = 0.",
        "algebra_* is the appendix's algebra done for general n: 9990 n -/+ 10000 n^2 for"
            + " A1 = 1000 ones, since |a2^T A1| 1 = 10000 n^2. paper_* are the appendix's"
            + " printed formulas ([-10 n, 19990 n] and [-10 n, 0]), right at n = 1 only for the"
            + " stated A1 = 1000 ones, and right for every n for A1 = 1000 I (the rows '1000 I',"
            + " where l, u = -1999, 1 as printed).",
        "IBP is exact here (true range [-10 n (1000 n - 999), 0], or [-10 n, 0] for 1000 I);"
            + " the expected bounds contain the true range for every n (Gamma = 1) but are"
            + " W_M / W_IBP = 2000 times wider at n = 1, falling towards 2 as n grows for 1000"
            + " ones and staying 2000 for 1000 I: the failure is looseness, not unsoundness."));
  }

  /**
   * The appendix's block on inputs of shape {@code (1, 1, n)}, flattened first, with
   * {@code A1 = 1000 ones(n, n)} as stated, or {@code 1000 I} when {@code identity}.
   */
  static Network network(NDManager parent, int n, boolean identity) {
    NDManager m = parent.newSubManager();
    float[] a2 = new float[n];
    Arrays.fill(a2, -10f);
    float[] a1 = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a1[i * n + j] = identity && i != j ? 0 : 1000;
      }
    }
    List<Layer> layers = List.of(new Flatten(),
        new Linear(m.create(a1, new Shape(n, n)), m.full(new Shape(n), -999f)), new Relu(),
        new Linear(m.create(a2, new Shape(1, n)), m.zeros(new Shape(1))));
    return new Network(identity ? "appendix-e-identity" : "appendix-e", new Shape(1, 1, n),
        layers, m);
  }

  /** The smallest and largest output over all {@code 2^n} corners of {@code [-1, 1]^n}. */
  private static double[] corners(Network net, int n, NDManager scope) {
    int total = 1 << n;
    double[] points = new double[total * n];
    for (int c = 0; c < total; c++) {
      for (int i = 0; i < n; i++) {
        points[c * n + i] = ((c >> i) & 1) == 1 ? 1 : -1;
      }
    }
    double[] y = ConcreteDomain.forward(net, scope.create(points, new Shape(total, 1, 1, n)),
        BatchStatistics.evaluation()).toDoubleArray();
    return new double[] {Arrays.stream(y).min().orElseThrow(),
        Arrays.stream(y).max().orElseThrow()};
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }
}
