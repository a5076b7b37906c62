package org.certkit.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.certkit.domain.Box;
import org.certkit.domain.IntervalDomain;
import org.certkit.internal.LayerOps;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Certifies local robustness with interval bounds that are sound under floating point.
 *
 * <p>The input ball (L-infinity, clipped to [0, 1]) is propagated in float64 with
 * {@link IntervalDomain.Rounding#OUTWARD} rounding, with the last layer merged into the margin
 * specification; an example is {@link Verdict#CERTIFIED} when every margin
 * {@code y_label - y_k}, {@code k != label}, has a positive lower bound. The claim concerns the
 * network evaluated in exact arithmetic with its stored float32 parameters (BatchNorm with running
 * statistics). Non-finite bounds give {@link Verdict#UNKNOWN}; a network with a non-finite
 * parameter or statistic is refused. The exact claim and its proof are in docs/soundness.md.
 */
public final class IbpCertifier {

  private final IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);

  /** The rounding treatment, for reports. */
  public static String soundnessNote() {
    return "float64 interval propagation on the CPU with a rigorous per-operation rounding"
        + " allowance (outward; Higham's gamma_n bound, doubled, for sums of products)";
  }

  /**
   * Verdicts for a batch.
   *
   * @param x inputs {@code [N, C, H, W]} in [0, 1], any floating type; not modified
   * @param labels int64 {@code [N]}
   * @param eps L-infinity radius in pixel space, at least 0
   */
  public Verdict[] certify(Network network, NDArray x, NDArray labels, double eps) {
    try (NDManager scope = x.getManager().newSubManager()) {
      requireFinite(network, scope);
      NDArray x64 = x.toType(DataType.FLOAT64, true);
      x64.attach(scope);
      NDArray lower = domain.marginLowerBounds(network, Box.linfBall(x64, eps), labels,
          BatchStatistics.evaluation());
      int n = (int) lower.getShape().get(0);
      int classes = (int) lower.getShape().get(1);
      double[] values = lower.toDoubleArray();
      long[] label = labels.toLongArray();
      Verdict[] out = new Verdict[n];
      for (int i = 0; i < n; i++) {
        boolean all = true;
        for (int k = 0; k < classes && all; k++) {
          double v = values[i * classes + k];
          all = k == label[i] || (Double.isFinite(v) && v > 0);
        }
        out[i] = all ? Verdict.CERTIFIED : Verdict.UNKNOWN;
      }
      return out;
    }
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
