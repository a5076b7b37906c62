package org.certkit.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
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
  /**
   * The fused first pass of a training step (the engine's batch normalisation) gives the output,
   * the running update and the gradients (input, gamma, beta) of the statistics written as
   * array operations, the path every later pass takes, to float32 rounding; a later abstract
   * pass of the same step gets the batch's moments, and the running statistics move only once.
   */
  @Test
  void fusedFirstPassMatchesTheStatisticsAsOperations() {
    Shape shape = new Shape(6, 3, 4, 4);
    NDArray x = manager.randomNormal(0, 2, shape, DataType.FLOAT32).add(1.5f);
    NDArray weights = manager.randomNormal(0, 1, shape, DataType.FLOAT32);
    float[][] outputs = new float[2][];
    float[][][] gradients = new float[2][][];
    float[][][] running = new float[2][][];
    BatchStatistics.MeanVar later = null;
    for (int path = 0; path < 2; path++) {
      BatchNorm layer = new BatchNorm(manager.create(new float[] {1.5f, 0.5f, -2f}),
          manager.create(new float[] {0.1f, -0.3f, 0.7f}),
          manager.create(new float[] {0.5f, -1f, 2f}), manager.create(new float[] {1f, 2f, 3f}),
          1e-5f, 0.1f);
      NDArray input = x.duplicate();
      for (NDArray a : new NDArray[] {input, layer.gamma(), layer.beta()}) {
        a.setRequiresGradient(true);
      }
      BatchStatistics stats = path == 0 ? BatchStatistics.trainingFused()
          : BatchStatistics.training();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray y = stats.normalise(0, layer, input);
        outputs[path] = y.toFloatArray();
        collector.backward(y.mul(weights).sum());
      }
      gradients[path] = new float[][] {input.getGradient().toFloatArray(),
          layer.gamma().getGradient().toFloatArray(), layer.beta().getGradient().toFloatArray()};
      if (path == 0) {
        later = stats.recordedOrRunning(0, layer);
        stats.normalise(0, layer, x);
      }
      running[path] = new float[][] {layer.runningMean().toFloatArray(),
          layer.runningVar().toFloatArray()};
    }
    assertArrayEquals(outputs[1], outputs[0], 1e-5f);
    for (int g = 0; g < 3; g++) {
      assertArrayEquals(gradients[1][g], gradients[0][g], 1e-4f, "gradient " + g);
    }
    assertArrayEquals(running[1][0], running[0][0], 1e-6f, "running mean");
    assertArrayEquals(running[1][1], running[0][1], 1e-5f, "running variance");
    float[] mean = x.sum(new int[] {0, 2, 3}).div(shape.size() / 3f).toFloatArray();
    assertArrayEquals(mean, later.mean().toFloatArray(), 1e-6f);
  }
}
