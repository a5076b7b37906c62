package org.certkit.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.certkit.domain.BoundDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.domain.ReluSplits;
import org.certkit.internal.LayerOps;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * Certifies specifications with bounds that are sound under floating point.
 *
 * <p>The input set is bounded in float64 with outward rounding by the domains of a
 * {@link Method}, cheapest first: an example is {@link Verdict.Certified} when every row of the
 * specification has a positive lower bound in one of them (for {@link Specification.Margins},
 * every margin {@code y_label - y_k}, {@code k != label}); only the examples a domain leaves
 * undecided go on to the next. The claim concerns the network evaluated in exact arithmetic with
 * its stored float32 parameters (BatchNorm with running statistics). Non-finite bounds give
 * {@link Verdict.Unknown}; a network with a non-finite parameter or statistic is refused. The
 * exact claim and its proof are in docs/soundness.md.
 */
public final class Certifier {

  /** Which bounds certify, in the order they are tried. */
  public enum Method {
    /** Interval bounds, last layer merged. */
    IBP,
    /** Backward linear bounds on interval pre-activation bounds. */
    CROWN_IBP,
    /** Backward linear bounds on linear pre-activation bounds. */
    CROWN,
    /** CROWN with the specification's lower slopes optimised (alpha-CROWN). */
    ALPHA_CROWN,
    /** IBP, CROWN-IBP, then CROWN, for the examples still undecided: AUTO without alpha. */
    LINEAR,
    /** IBP, CROWN-IBP, CROWN, then alpha-CROWN, for the examples still undecided. */
    AUTO,
    /**
     * The AUTO cascade, then branch and bound on ReLU splits ({@link BranchAndBound#standard()})
     * for the examples still undecided, within a time limit per example: complete up to
     * the time limit.
     */
    BAB;

    /**
     * The methods tried in turn: this one, or for LINEAR, AUTO and BAB the cascade, cheapest
     * first.
     */
    List<Method> stages() {
      return switch (this) {
        case LINEAR -> List.of(IBP, CROWN_IBP, CROWN);
        case AUTO -> List.of(IBP, CROWN_IBP, CROWN, ALPHA_CROWN);
        case BAB -> List.of(IBP, CROWN_IBP, CROWN, ALPHA_CROWN, BAB);
        case IBP, CROWN_IBP, CROWN, ALPHA_CROWN -> List.of(this);
      };
    }

    /** The sound domain of a single method; linear bounds in {@code arithmetic}. */
    BoundDomain domain(LinearBoundDomain.SoundArithmetic arithmetic) {
      IntervalDomain.Rounding sound = IntervalDomain.Rounding.OUTWARD;
      return switch (this) {
        case IBP -> new IntervalDomain(sound);
        case CROWN_IBP -> new LinearBoundDomain(LinearBoundDomain.Intermediate.INTERVAL, sound,
            null, arithmetic);
        case CROWN -> new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound, null,
            arithmetic);
        case ALPHA_CROWN -> new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound,
            LinearBoundDomain.SlopeOptimisation.standard(), arithmetic);
        case LINEAR, AUTO -> throw new IllegalStateException(this
            + " is a cascade of the other methods");
        case BAB -> throw new IllegalStateException("BAB searches, it has no single domain");
      };
    }

    /** The name on the command line, such as {@code crown-ibp}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** Adam steps of the first of alpha-CROWN's passes in a cascade. */
  static final int SCREENING_STEPS = 20;
  /** The default time limit of {@link Method#BAB}'s search, per example. */
  public static final Duration DEFAULT_BAB_LIMIT = Duration.ofSeconds(60);

  private final Method method;
  private final Duration babLimit;
  private final LinearBoundDomain.SoundArithmetic arithmetic;
  private final BranchAndBound.Leaf leaf;

  /**
   * The answer for one example: its verdict, the method whose bounds gave it (the last one
   * tried when none certified), and the lowest lower bound of its rows in that method.
   */
  public record Decision(Verdict verdict, Method method, double lowestBound) {}

  /** A certifier with the given bounds. */
  public Certifier(Method method) {
    this(method, DEFAULT_BAB_LIMIT);
  }

  /** A certifier whose {@link Method#BAB} search takes at most {@code babLimit} per example. */
  public Certifier(Method method, Duration babLimit) {
    this(method, babLimit, LinearBoundDomain.SoundArithmetic.FLOAT64);
  }

  /**
   * As {@link #Certifier(Method, Duration)}, with the arithmetic of the linear bounds chosen
   * (interval bounds are float64 always).
   */
  public Certifier(Method method, Duration babLimit,
      LinearBoundDomain.SoundArithmetic arithmetic) {
    this(method, babLimit, arithmetic, null);
  }

  /**
   * As {@link #Certifier(Method, Duration, LinearBoundDomain.SoundArithmetic)}, with
   * {@code leaf} deciding the subproblems of {@link Method#BAB}'s search that have every unstable
   * ReLU split (an exact linear program, say); null for none, where the search stops undecided.
   */
  public Certifier(Method method, Duration babLimit,
      LinearBoundDomain.SoundArithmetic arithmetic, BranchAndBound.Leaf leaf) {
    if (babLimit.isNegative() || babLimit.isZero()) {
      throw new IllegalArgumentException("the branch-and-bound limit must be positive, got "
          + babLimit);
    }
    this.method = method;
    this.babLimit = babLimit;
    this.arithmetic = java.util.Objects.requireNonNull(arithmetic, "arithmetic");
    this.leaf = leaf;
  }

  /** A certifier with interval bounds. */
  public Certifier() {
    this(Method.IBP);
  }

  /** The bounds used. */
  public Method method() {
    return method;
  }

  /** The rounding treatment, for reports. */
  public String soundnessNote() {
    String bounds = switch (method) {
      case IBP -> "interval propagation";
      case CROWN_IBP -> "CROWN-IBP";
      case CROWN -> "CROWN";
      case ALPHA_CROWN -> "alpha-CROWN";
      case LINEAR -> "IBP, then CROWN-IBP and CROWN";
      case AUTO -> "IBP, then CROWN-IBP, CROWN and alpha-CROWN";
      case BAB -> "IBP, CROWN-IBP, CROWN, alpha-CROWN, then branch and bound ("
          + babLimit.toSeconds() + " s per example" + (leaf == null ? "" : ", exact leaf")
          + ")";
    };
    String type = arithmetic == LinearBoundDomain.SoundArithmetic.FLOAT32 && method != Method.IBP
        ? "float32 (interval boxes float64) " : "float64 ";
    return type + bounds + " on the CPU with a rigorous per-operation rounding"
        + " allowance (outward; Higham's gamma_n bound, doubled, for sums of products)";
  }

  /**
   * Verdicts on the robustness of a batch: the L-infinity ball of radius {@code eps} in [0, 1]
   * pixel space, margins of the labels.
   *
   * @param x inputs {@code [N, C, H, W]} in [0, 1], any floating type; not modified
   * @param labels int64 {@code [N]}
   * @param eps L-infinity radius in pixel space, at least 0
   */
  public Verdict[] certify(Network network, NDArray x, NDArray labels, double eps) {
    return certify(network, InputSet.LinfBall.pixels(x, eps), new Specification.Margins(labels));
  }

  /**
   * Verdicts for a batch of input sets and a specification.
   *
   * @param input any floating type; float32 corners or centres are widened to float64 exactly
   */
  public Verdict[] certify(Network network, InputSet input, Specification spec) {
    Decision[] decisions = decide(network, input, spec);
    Verdict[] out = new Verdict[decisions.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = decisions[i].verdict();
    }
    return out;
  }

  /** As {@link #certify(Network, InputSet, Specification)}, with the method that decided. */
  public Decision[] decide(Network network, InputSet input, Specification spec) {
    return decide(network, input, spec, null);
  }

  /**
   * As {@link #decide(Network, InputSet, Specification)}, for examples some of which are known
   * not to hold (a checked counterexample, or a misclassified centre): those still go through
   * the cheap stages (IBP, CROWN-IBP, CROWN), where certifying one would expose unsound bounds,
   * but skip the costly ones (alpha-CROWN, branch and bound), which cannot certify them either.
   *
   * @param refuted per example, whether a point of its input set violates the specification;
   *     null when none is known
   */
  public Decision[] decide(Network network, InputSet input, Specification spec,
      boolean[] refuted) {
    NDManager caller = switch (input) {
      case InputSet.BoxRegion box -> box.lower().getManager();
      case InputSet.LinfBall ball -> ball.centre().getManager();
    };
    try (NDManager scope = caller.newSubManager()) {
      requireFinite(network, scope);
      InputSet wide = wide(input, scope);
      int n = (int) switch (wide) {
        case InputSet.BoxRegion box -> box.lower().getShape().get(0);
        case InputSet.LinfBall ball -> ball.centre().getShape().get(0);
      };
      Decision[] out = new Decision[n];
      if (refuted != null && refuted.length != n) {
        throw new IllegalArgumentException(refuted.length + " refutation flags for " + n
            + " examples");
      }
      List<Integer> open = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        open.add(i);
      }
      for (Method stage : method.stages()) {
        if (refuted != null && (stage == Method.ALPHA_CROWN || stage == Method.BAB)) {
          // Only after a cheaper stage has decided them: every example gets a decision.
          open.removeIf(i -> refuted[i] && out[i] != null);
        }
        if (open.isEmpty()) {
          break;
        }
        if (stage == Method.BAB) {
          for (int i : open) {
            out[i] = search(network, wide, spec, i, out[i].lowestBound(), scope);
          }
          break;
        }
        NDArray index = scope.create(open.stream().mapToLong(Integer::longValue).toArray());
        boolean all = open.size() == n;
        InputSet sets = all ? wide : select(wide, index);
        Specification rows = all ? spec : select(spec, index);
        if (stage == Method.ALPHA_CROWN && open.stream().allMatch(i -> out[i] != null)) {
          alphaWithinReach(network, sets, rows, open, out, scope);
        } else {
          NDArray lower = stage.domain(arithmetic).lowerBounds(network, sets, rows,
              BatchStatistics.evaluation());
          decide(lower, rows, open, stage, out);
        }
        List<Integer> still = new ArrayList<>();
        for (int i : open) {
          if (!out[i].verdict().isCertified()) {
            still.add(i);
          }
        }
        open = still;
      }
      return out;
    }
  }

  /**
   * Branch and bound for example {@code i}: each row of the specification not yet positive is
   * proven on its own, within {@link #babLimit} for the example, from alpha-CROWN's
   * pre-activation bounds.
   */
  private Decision search(Network network, InputSet input, Specification spec, int i,
      double lowest, NDManager scope) {
    long start = System.nanoTime();
    NDArray index = scope.create(new long[] {i});
    InputSet one = select(input, index);
    Specification rows = select(spec, index);
    int classes = network.numClasses();
    Specification.LinearConstraints constraints = switch (rows) {
      case Specification.Margins margins -> {
        int label = (int) margins.labels().getLong(0);
        double[] c = new double[(classes - 1) * classes];
        for (int k = 0, r = 0; k < classes; k++) {
          if (k != label) {
            c[r * classes + label] = 1;
            c[r * classes + k] = -1;
            r++;
          }
        }
        yield new Specification.LinearConstraints(
            scope.create(c, new Shape(1, classes - 1, classes)),
            scope.zeros(new Shape(1, classes - 1), DataType.FLOAT64));
      }
      case Specification.LinearConstraints c -> c;
    };
    BranchAndBound bab = BranchAndBound.standard(arithmetic).withLeaf(leaf);
    LinearBoundDomain.BranchBounds root = bab.root().branchBounds(network, one, constraints,
        BatchStatistics.evaluation(), ReluSplits.none());
    double[] bounds = root.lower().toDoubleArray();
    NDArray lo = one.lower();
    NDArray hi = one.upper();
    for (int r = 0; r < bounds.length; r++) {
      if (bounds[r] > 0) {
        continue;
      }
      Duration left = babLimit
          .minusNanos(System.nanoTime() - start);
      if (left.isNegative() || left.isZero()) {
        return new Decision(new Verdict.Timeout(babLimit),
            Method.BAB, lowest);
      }
      NDArray row = constraints.matrix().get(new NDIndex(":, {}:{}", r,
          r + 1));
      NDArray offset = constraints.offset().get(new NDIndex(":, {}:{}", r,
          r + 1));
      BranchAndBound.Outcome outcome = bab.prove(network, lo, hi,
          new Specification.LinearConstraints(row, offset), left, null, root.reluInputs());
      if (outcome instanceof BranchAndBound.Outcome.Candidates) {
        return new Decision(new Verdict.Unknown("margin row " + r + ": the exact leaf found"
            + " points where it is not positive"), Method.BAB, lowest);
      }
      if (outcome instanceof BranchAndBound.Outcome.Undecided undecided) {
        Verdict verdict = undecided.timedOut()
            ? new Verdict.Timeout(babLimit)
            : new Verdict.Unknown(undecided.reason());
        return new Decision(verdict, Method.BAB, lowest);
      }
    }
    return new Decision(Verdict.CERTIFIED, Method.BAB, lowest);
  }

  /**
   * alpha-CROWN after a cheaper stage, in two passes: {@link #SCREENING_STEPS} Adam steps on
   * every example of {@code open}, then the full optimisation only on those still undecided
   * whose lowest bound would reach 0 if each of the remaining steps gained as much as the first
   * ones did on average over the earlier stage's bound (in {@code out}). alpha-CROWN's gains
   * come mostly in its first steps, so this keeps the examples it can certify and spares the
   * full run on those it cannot (most of an adversarially trained network's test set, where it
   * is the whole cost of certification).
   * Both passes are sound; an example of the second takes the better bound of each row.
   */
  private void alphaWithinReach(Network network, InputSet sets, Specification rows,
      List<Integer> open, Decision[] out, NDManager scope) {
    double[] earlier = open.stream().mapToDouble(i -> out[i].lowestBound()).toArray();
    IntervalDomain.Rounding sound = IntervalDomain.Rounding.OUTWARD;
    LinearBoundDomain.SlopeOptimisation full = LinearBoundDomain.SlopeOptimisation.standard();
    LinearBoundDomain.SlopeOptimisation screening = new LinearBoundDomain.SlopeOptimisation(
        SCREENING_STEPS, full.learningRate(), full.learningRateDecay(), full.patience());
    double extrapolation = (double) (full.iterations() - SCREENING_STEPS) / SCREENING_STEPS;
    NDArray screened = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound,
        screening, arithmetic).lowerBounds(network, sets, rows, BatchStatistics.evaluation());
    decide(screened, rows, open, Method.ALPHA_CROWN, out);
    List<Integer> positions = new ArrayList<>();
    List<Integer> reach = new ArrayList<>();
    for (int j = 0; j < open.size(); j++) {
      Decision d = out[open.get(j)];
      double gained = d.lowestBound() - earlier[j];
      if (!d.verdict().isCertified()
          && d.lowestBound() + extrapolation * Math.max(0, gained) > 0) {
        positions.add(j);
        reach.add(open.get(j));
      }
    }
    if (reach.isEmpty()) {
      return;
    }
    NDArray index = scope.create(positions.stream().mapToLong(Integer::longValue).toArray());
    Specification chosen = select(rows, index);
    NDArray lower = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound, full,
        arithmetic).lowerBounds(network, select(sets, index), chosen,
        BatchStatistics.evaluation());
    decide(lower.maximum(screened.get(index)), chosen, reach, Method.ALPHA_CROWN, out);
  }

  /** Decides every example of {@code open} from the lower bounds of its rows in {@code stage}. */
  private static void decide(NDArray lower, Specification spec, List<Integer> open,
      Method stage, Decision[] out) {
    int rows = (int) lower.getShape().get(1);
    double[] values = lower.toDoubleArray();
    long[] label = spec instanceof Specification.Margins margins
        ? margins.labels().toLongArray() : null;
    for (int j = 0; j < open.size(); j++) {
      Verdict verdict = Verdict.CERTIFIED;
      double lowest = Double.POSITIVE_INFINITY;
      for (int s = 0; s < rows; s++) {
        double v = values[j * rows + s];
        if (label != null && s == label[j]) {
          continue;
        }
        lowest = Math.min(lowest, v); // NaN stays NaN
        if (!(Double.isFinite(v) && v > 0) && verdict.isCertified()) {
          verdict = new Verdict.Unknown((label == null ? "row " + s : "margin to class " + s)
              + " has lower bound " + v);
        }
      }
      out[open.get(j)] = new Decision(verdict, stage, lowest);
    }
  }

  /** The examples {@code index} of an input set. */
  private static InputSet select(InputSet input, NDArray index) {
    return switch (input) {
      case InputSet.BoxRegion box -> new InputSet.BoxRegion(box.lower().get(index),
          box.upper().get(index));
      case InputSet.LinfBall ball -> new InputSet.LinfBall(ball.centre().get(index), ball.eps(),
          ball.min(), ball.max());
    };
  }

  /** The examples {@code index} of a specification. */
  private static Specification select(Specification spec, NDArray index) {
    return switch (spec) {
      case Specification.Margins margins -> new Specification.Margins(
          margins.labels().get(index));
      case Specification.LinearConstraints c -> new Specification.LinearConstraints(
          c.matrix().get(index), c.offset().get(index));
    };
  }

  /** The set in float64 (exact from float32), its arrays in {@code scope}. */
  private static InputSet wide(InputSet input, NDManager scope) {
    return switch (input) {
      case InputSet.BoxRegion box -> new InputSet.BoxRegion(
          float64(box.lower(), scope), float64(box.upper(), scope));
      case InputSet.LinfBall ball -> new InputSet.LinfBall(float64(ball.centre(), scope),
          ball.eps(), ball.min(), ball.max());
    };
  }

  private static NDArray float64(NDArray array, NDManager scope) {
    return LayerOps.owned(array.toType(DataType.FLOAT64, true), scope);
  }

  /**
   * Refuses a network with a NaN or infinite parameter or running statistic: its function is
   * not defined in exact arithmetic, so nothing can be certified about it.
   */
  private static void requireFinite(Network network, NDManager scope) {
    for (Map.Entry<String, NDArray> e : network.state().entrySet()) {
      NDArray a = e.getValue();
      NDArray notFinite = LayerOps.owned(a.isNaN(), scope)
          .logicalOr(LayerOps.owned(a.isInfinite(), scope));
      if (notFinite.any().getBoolean()) {
        throw new IllegalArgumentException("cannot certify " + network.architecture()
            + ": its array " + e.getKey() + " holds NaN or infinite values ("
            + notFinite.countNonzero().getLong() + " of " + a.size() + ")");
      }
    }
  }
}
