package org.certkit.io.onnx;

import ai.djl.ndarray.types.Shape;
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
 * The shape of one example between two layers, without the batch axis: an image
 * {@code C x H x W} (ONNX rank 4) or {@code F} flat features (ONNX rank 2, then {@code channels}
 * holds F).
 */
record TensorLayout(int channels, int height, int width, boolean flat) {

  static TensorLayout image(int channels, int height, int width) {
    return new TensorLayout(channels, height, width, false);
  }

  static TensorLayout features(int count) {
    return new TensorLayout(count, 1, 1, true);
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

  /** Scalars per example. */
  int size() {
    return channels * height * width;
  }

  /** The ONNX dims without the batch axis. */
  long[] dims() {
    return flat ? new long[] {channels} : new long[] {channels, height, width};
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
    return flat ? channels + " features" : channels + "x" + height + "x" + width;
  }
}
