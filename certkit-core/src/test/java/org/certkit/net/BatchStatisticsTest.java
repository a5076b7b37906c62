package org.certkit.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class BatchStatisticsTest extends EngineTest {

  /**
   * In training, a BatchNorm input's statistics are the per-channel mean and biased variance over
   * batch and space, and the running statistics move by the momentum towards the mean and the
   * unbiased variance: checked against sums written out in Java, for image-shaped and flat inputs.
   */
  @Test
  void batchStatisticsAreTheChannelMomentsAndUpdateTheRunningOnes() {
    for (Shape shape : new Shape[] {new Shape(5, 3, 4, 2), new Shape(7, 3)}) {
      NDArray x = manager.randomNormal(0, 2, shape, DataType.FLOAT64).add(1.5);
      BatchNorm layer = new BatchNorm(manager.ones(new Shape(3)), manager.zeros(new Shape(3)),
          manager.create(new float[] {0.5f, -1f, 2f}), manager.create(new float[] {1f, 2f, 3f}),
          1e-5f, 0.1f);
      float[] oldMean = layer.runningMean().toFloatArray();
      float[] oldVar = layer.runningVar().toFloatArray();
      BatchStatistics.MeanVar stats = BatchStatistics.training().forConcreteInput(0, layer, x);

      double[] v = x.toDoubleArray();
      long n = shape.get(0);
      long c = shape.get(1);
      long space = shape.size() / (n * c);
      double[] mean = new double[(int) c];
      double[] variance = new double[(int) c];
      for (int k = 0; k < c; k++) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
          for (long j = 0; j < space; j++) {
            sum += v[(int) ((i * c + k) * space + j)];
          }
        }
        mean[k] = sum / (n * space);
        double squares = 0;
        for (long i = 0; i < n; i++) {
          for (long j = 0; j < space; j++) {
            double d = v[(int) ((i * c + k) * space + j)] - mean[k];
            squares += d * d;
          }
        }
        variance[k] = squares / (n * space);
      }
      assertArrayEquals(mean, stats.mean().toDoubleArray(), 1e-12, shape.toString());
      assertArrayEquals(variance, stats.variance().toDoubleArray(), 1e-12, shape.toString());

      long count = n * space;
      float[] runningMean = layer.runningMean().toFloatArray();
      float[] runningVar = layer.runningVar().toFloatArray();
      for (int k = 0; k < c; k++) {
        assertArrayEquals(new double[] {0.9 * oldMean[k] + 0.1 * mean[k],
            0.9 * oldVar[k] + 0.1 * variance[k] * count / (count - 1)},
            new double[] {runningMean[k], runningVar[k]}, 1e-5, shape + " channel " + k);
      }
    }
  }
}
