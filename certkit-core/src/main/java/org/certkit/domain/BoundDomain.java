package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * What every bound domain answers: bounds of a network's outputs, and lower bounds of a
 * specification's rows, over an input set. A {@linkplain #sound() sound} domain's bounds contain
 * the outputs of every point of the set; an unsound one (the expected bounds of the second paper)
 * estimates them. All results belong to the manager of the input set's arrays.
 */
public sealed interface BoundDomain
    permits IntervalDomain, LinearBoundDomain, ExpectedBoundsDomain, ZonotopeDomain {

  /**
   * Bounds of the outputs.
   *
   * @param stats which BatchNorm statistics to use
   * @return the output box {@code [N, classes]}
   */
  Box outputBounds(Network network, InputSet input, BatchStatistics stats);

  /**
   * Lower bounds of every row of {@code spec}.
   *
   * @return {@code [N, S]}
   */
  NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats);

  /** Whether the bounds are proven to contain the exact outputs, rounding included. */
  boolean sound();

  /**
   * Lower bounds of {@code spec} from an output box, without merging any layer: the fallback of
   * domains that bound outputs only. For margins the label's own row is 0.
   */
  static NDArray lowerBoundsFromOutputs(Box outputs, Specification spec) {
    NDArray c = outputs.centre();
    NDArray r = outputs.radius();
    return switch (spec) {
      case Specification.Margins margins -> {
        int classes = (int) c.getShape().get(1);
        NDArray label = margins.labels().oneHot(classes).toType(c.getDataType(), false);
        NDArray labelLower = c.sub(r).mul(label).sum(new int[] {1}, true);
        // y_t - y_k >= l_t - u_k for k != t; the label's row is 0.
        yield labelLower.sub(c.add(r)).mul(label.neg().add(1));
      }
      case Specification.LinearConstraints constraints -> {
        NDArray matrix = constraints.matrix().toType(c.getDataType(), false);
        NDArray offset = constraints.offset().toType(c.getDataType(), false);
        yield matrix.matMul(c.expandDims(2)).squeeze(2).add(offset)
            .sub(matrix.abs().matMul(r.expandDims(2)).squeeze(2));
      }
    };
  }
}
