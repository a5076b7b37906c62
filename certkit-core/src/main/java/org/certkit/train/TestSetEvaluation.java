package org.certkit.train;

import ai.djl.ndarray.NDManager;
import java.util.Objects;
import org.certkit.certify.Certifier;
import org.certkit.data.ImageDataset;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessReport;
import org.certkit.net.Network;
import org.certkit.tightness.TightnessSummary;

/**
 * The per-epoch evaluation of {@code certkit train}: clean and sound IBP-certified accuracy at the
 * target epsilon on every example of {@code examples}, and the mean local tightness at the clean
 * inputs on up to {@link #TIGHTNESS_SAMPLES} of them (chain networks; NaN for graphs).
 *
 * @param examples held-out examples, typically a subset of the test split
 */
public record TestSetEvaluation(ImageDataset examples) implements EpochEvaluation {

  /** Evaluation examples on which the per-epoch tightness is measured. */
  public static final int TIGHTNESS_SAMPLES = 200;

  /** Validates the examples. */
  public TestSetEvaluation {
    Objects.requireNonNull(examples, "an evaluation needs examples");
  }

  @Override
  public HeldOutMetrics evaluate(Network network, double eps, NDManager manager) {
    RobustnessReport report = new RobustnessEvaluator(null, Certifier.Method.IBP, 500).evaluate(network,
        examples, examples.size(), eps, manager, done -> {});
    // Tightness is defined for chains only; a graph network records NaN.
    double tightness = !network.isChain() ? Double.NaN : TightnessSummary.measure(network,
        examples, Math.min(TIGHTNESS_SAMPLES, examples.size()), 0, 50, manager).mean();
    return new HeldOutMetrics(report.cleanAccuracy(), report.certifiedAccuracy(), tightness);
  }
}
