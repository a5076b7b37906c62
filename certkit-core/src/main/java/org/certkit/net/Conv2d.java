package org.certkit.net;

import ai.djl.ndarray.NDArray;

/**
 * Two-dimensional convolution with square kernel, symmetric zero padding and equal strides.
 *
 * @param weight {@code [out, in, k, k]}
 * @param bias {@code [out]}
 * @param stride step in both spatial directions, at least 1
 * @param padding zero padding on every side, at least 0
 */
public record Conv2d(NDArray weight, NDArray bias, int stride, int padding) implements Layer {

  /** Validates stride and padding. */
  public Conv2d {
    if (stride < 1) {
      throw new IllegalArgumentException("Conv2d stride must be >= 1, got " + stride);
    }
    if (padding < 0) {
      throw new IllegalArgumentException("Conv2d padding must be >= 0, got " + padding);
    }
  }

  /** Input channels. */
  public int inChannels() {
    return (int) weight.getShape().get(1);
  }

  /** Output channels. */
  public int outChannels() {
    return (int) weight.getShape().get(0);
  }

  /** Kernel side length. */
  public int kernelSize() {
    return (int) weight.getShape().get(2);
  }

  /** Output side length for an input of side {@code in}. */
  public int outputSize(int in) {
    return (in + 2 * padding - kernelSize()) / stride + 1;
  }

  @Override
  public String describe() {
    return "Conv2d(" + inChannels() + "->" + outChannels() + ", k" + kernelSize() + ", s" + stride
        + ", p" + padding + ")";
  }
}
