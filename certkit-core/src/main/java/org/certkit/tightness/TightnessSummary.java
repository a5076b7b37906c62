package org.certkit.tightness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.certkit.data.ImageDataset;
import org.certkit.net.Network;

/**
 * Local tightness of a network over the first {@code n} examples of a dataset, aggregated as the
 * reference code does: per example the mean over the margin rows {@code y_k - y_label}
 * ({@code k != label}), then the mean (and median) over examples. Evaluation mode throughout.
 *
 * @param perExample tightness of each example, in dataset order
 * @param mean mean over examples
 * @param median median over examples
 */
public record TightnessSummary(double[] perExample, double mean, double median) {

  /**
   * Measures the network on {@code n} examples, {@code batchSize} at a time, each batch in its
   * own sub-manager of {@code manager}.
   *
   * @param eps input radius for clipping at the pixel range; 0 for a uniform radius
   */
  public static TightnessSummary measure(Network network, ImageDataset data, int n, double eps,
      int batchSize, NDManager manager) {
    return measure(network, data, n, eps, batchSize, LocalTightness.Activations.LOCAL, manager,
        done -> { });
  }

  /**
   * As {@link #measure(Network, ImageDataset, int, double, int, NDManager)}, with the given
   * treatment of the ReLUs, telling {@code progress} the examples done after each batch.
   */
  public static TightnessSummary measure(Network network, ImageDataset data, int n, double eps,
      int batchSize, LocalTightness.Activations activations, NDManager manager,
      IntConsumer progress) {
    int total = Math.min(n, data.size());
    double[] values = new double[total];
    int done = 0;
    for (int[] indices : data.subset(total).batches(batchSize, null)) {
      try (NDManager batch = manager.newSubManager()) {
        NDArray x = data.images(batch, indices);
        NDArray y = data.labels(batch, indices);
        System.arraycopy(LocalTightness.perExample(network, x, y, eps, activations), 0, values,
            done, indices.length);
      }
      done += indices.length;
      progress.accept(done);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double median = total == 0 ? Double.NaN : total % 2 == 1 ? sorted[total / 2]
        : (sorted[total / 2 - 1] + sorted[total / 2]) / 2;
    return new TightnessSummary(values, Arrays.stream(values).average().orElse(Double.NaN),
        median);
  }
}
