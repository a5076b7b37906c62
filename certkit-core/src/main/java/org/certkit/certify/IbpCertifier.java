package org.certkit.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.certkit.domain.IntervalDomain;
import org.certkit.internal.LayerOps;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * Certifies specifications with interval bounds that are sound under floating point.
 *
 * <p>The input set is propagated in float64 with {@link IntervalDomain.Rounding#OUTWARD}
 * rounding, with the last layer merged into the specification; an example is
 * {@link Verdict.Certified} when every row of the specification has a positive lower bound (for
 * {@link Specification.Margins}, every margin {@code y_label - y_k}, {@code k != label}). The
 * claim concerns the network evaluated in exact arithmetic with its stored float32 parameters
 * (BatchNorm with running statistics). Non-finite bounds give {@link Verdict.Unknown}; a network
 * with a non-finite parameter or statistic is refused. The exact claim and its proof are in
 * docs/soundness.md.
 */
public final class IbpCertifier {

  private final IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);

  /** The rounding treatment, for reports. */
  public static String soundnessNote() {
    return "float64 interval propagation on the CPU with a rigorous per-operation rounding"
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
    NDManager caller = switch (input) {
      case InputSet.BoxRegion box -> box.lower().getManager();
      case InputSet.LinfBall ball -> ball.centre().getManager();
    };
    try (NDManager scope = caller.newSubManager()) {
      requireFinite(network, scope);
      NDArray lower = domain.lowerBounds(network, wide(input, scope), spec,
          BatchStatistics.evaluation());
      int n = (int) lower.getShape().get(0);
      int rows = (int) lower.getShape().get(1);
      double[] values = lower.toDoubleArray();
      long[] label = spec instanceof Specification.Margins margins
          ? margins.labels().toLongArray() : null;
      Verdict[] out = new Verdict[n];
      for (int i = 0; i < n; i++) {
        out[i] = Verdict.CERTIFIED;
        for (int s = 0; s < rows; s++) {
          double v = values[i * rows + s];
          if ((label == null || s != label[i]) && !(Double.isFinite(v) && v > 0)) {
            out[i] = new Verdict.Unknown((label == null ? "row " + s : "margin to class " + s)
                + " has lower bound " + v);
            break;
          }
        }
      }
      return out;
    }
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
