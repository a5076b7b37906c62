package org.certkit.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Points of an input box that push each output (logit) down and up: signed-gradient steps on
 * {@code -y_k} and {@code +y_k} from the box centre, projected onto the box, all {@code 2 K}
 * searches in one batch. Every point evaluated lies in the box, so the smallest and largest
 * outputs seen are attained values: an inner estimate of the true output range, the counterpart
 * of a sound outer bound.
 */
final class LogitSearch {

  private LogitSearch() {}

  /**
   * The range of every output over the points visited (the centre included).
   *
   * @param box a box around one example {@code [1, ...]}, in the network's input space
   * @param steps gradient steps, at least 0
   * @param stepFraction step length as a fraction of the largest radius
   * @return {@code [lower, upper]}, one value per output, float64
   */
  static double[][] attainedRange(Network network, Box box, int steps, double stepFraction) {
    NDManager parent = box.centre().getManager();
    try (NDManager scope = parent.newSubManager()) {
      NDArray lower = box.lower().toType(DataType.FLOAT64, false);
      NDArray upper = box.upper().toType(DataType.FLOAT64, false);
      lower.attach(scope);
      upper.attach(scope);
      // A copy: the box's own centre must survive this scope.
      NDArray centre = box.centre().toType(DataType.FLOAT64, true);
      centre.attach(scope);
      double[] y0 = ConcreteDomain.forward(network, centre, BatchStatistics.evaluation())
          .toDoubleArray();
      int classes = y0.length;
      double[] lo = y0.clone();
      double[] hi = y0.clone();
      int batch = 2 * classes;
      // Row 2k pushes output k down, row 2k + 1 pushes it up.
      double[] signs = new double[batch * classes];
      for (int k = 0; k < classes; k++) {
        signs[2 * k * classes + k] = -1;
        signs[(2 * k + 1) * classes + k] = 1;
      }
      NDArray direction = scope.create(signs, new ai.djl.ndarray.types.Shape(batch, classes));
      NDArray lowerBatch = lower.repeat(0, batch);
      NDArray upperBatch = upper.repeat(0, batch);
      double step = stepFraction * box.radius().max().toType(DataType.FLOAT64, false)
          .getDouble();
      NDArray point = centre.repeat(0, batch);
      for (int s = 0; s <= steps; s++) {
        try (NDManager iteration = scope.newSubManager()) {
          NDArray current = point.duplicate();
          current.attach(iteration);
          NDArray outputs;
          NDArray gradient = null;
          try (GradientCollector collector = Gradients.collector()) {
            current.setRequiresGradient(true);
            outputs = ConcreteDomain.forward(network, current, BatchStatistics.evaluation());
            if (s < steps) {
              collector.backward(outputs.mul(direction).sum());
              gradient = current.getGradient();
              gradient.attach(iteration);
            }
          }
          double[] values = outputs.stopGradient().toDoubleArray();
          for (int r = 0; r < batch; r++) {
            for (int k = 0; k < classes; k++) {
              lo[k] = Math.min(lo[k], values[r * classes + k]);
              hi[k] = Math.max(hi[k], values[r * classes + k]);
            }
          }
          if (gradient != null) {
            NDArray next = current.stopGradient().add(gradient.sign().mul(Constants.scalar(gradient, step)))
                .maximum(lowerBatch).minimum(upperBatch);
            next.attach(scope);
            point.close();
            point = next;
          }
        }
      }
      return new double[][] {lo, hi};
    }
  }
}
