package org.certkit.io.onnx;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;

/**
 * The shape of one example between two layers, without the batch axis: how certkit holds it, an
 * image {@code C x H x W} (ONNX rank 4) or {@code F} flat features (ONNX rank 2, then
 * {@code channels} holds F), and the ONNX dims of the value, which may add or drop unit axes
 * (VNN-COMP's {@code [N, 784, 1]} is 784 features held as {@code [784, 1]}). Both hold the same
 * values in the same row-major order.
 *
 * @param onnxDims the ONNX dims after the batch axis; {@link #dims()} unless unit axes were
 *     added or dropped
 */
record TensorLayout(int channels, int height, int width, boolean flat, List<Long> onnxDims) {

  TensorLayout {
    onnxDims = List.copyOf(onnxDims);
  }

  static TensorLayout image(int channels, int height, int width) {
    return new TensorLayout(channels, height, width, false,
        List.of((long) channels, (long) height, (long) width));
  }

  static TensorLayout features(int count) {
    return new TensorLayout(count, 1, 1, true, List.of((long) count));
  }

  /** The layout of a network input of {@code shape}: {@code (C, H, W)} or {@code (F)}. */
  static TensorLayout of(Shape shape) {
    return switch (shape.dimension()) {
      case 1 -> features((int) shape.get(0));
      case 3 -> image((int) shape.get(0), (int) shape.get(1), (int) shape.get(2));
      default -> throw new IllegalArgumentException("input shape " + shape
          + " is neither (C, H, W) nor (F)");
    };
  }

  /** Whether ONNX dims hold at most one axis longer than 1 (such as {@code [784, 1]}). */
  static boolean flatLike(long[] dims) {
    return Arrays.stream(dims).filter(d -> d != 1).count() <= 1;
  }

  /** Scalars per example. */
  int size() {
    return channels * height * width;
  }

  /** The ONNX dims certkit's own layers give this layout: {@code [F]} or {@code [C, H, W]}. */
  long[] dims() {
    return flat ? new long[] {channels} : new long[] {channels, height, width};
  }

  /** {@link #onnxDims()} as an array. */
  long[] onnxShape() {
    return onnxDims.stream().mapToLong(Long::longValue).toArray();
  }

  /** Whether the ONNX dims are {@link #dims()}, as ops with an axis structure need. */
  boolean canonical() {
    return Arrays.equals(onnxShape(), dims());
  }

  /** The same certkit layout held with ONNX dims {@code dims}. */
  TensorLayout withOnnxDims(long[] dims) {
    return new TensorLayout(channels, height, width, flat, Arrays.stream(dims).boxed().toList());
  }

  /** The layout after {@code layer}; layers that keep the shape return this one. */
  TensorLayout after(Layer layer) {
    return switch (layer) {
      case Linear l -> features(l.outFeatures());
      case Conv2d c -> image(c.outChannels(), c.outputSize(height), c.outputSize(width));
      case Flatten f -> features(size());
      case Relu r -> this;
      case BatchNorm b -> this;
      case Normalize n -> this;
      case Add a -> this;
      case AvgPool p -> image(channels, p.outputSize(height), p.outputSize(width));
      case MaxPool p -> image(channels, p.outputSize(height), p.outputSize(width));
      case Sigmoid sg -> this;
      case Tanh t -> this;
    };
  }

  @Override
  public String toString() {
    String held = flat ? channels + " features" : channels + "x" + height + "x" + width;
    return canonical() ? held : held + " (ONNX " + describe(onnxShape()) + ")";
  }

  /** ONNX dims of a value with its batch axis, such as {@code [N, 784, 1]}. */
  static String describe(long[] dims) {
    StringBuilder sb = new StringBuilder("[N");
    for (long d : dims) {
      sb.append(", ").append(d);
    }
    return sb.append(']').toString();
  }
}
