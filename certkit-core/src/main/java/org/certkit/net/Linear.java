package org.certkit.net;

import ai.djl.ndarray.NDArray;

/**
 * Fully connected layer {@code y = x W^T + b}.
 *
 * @param weight {@code [out, in]}
 * @param bias {@code [out]}
 */
public record Linear(NDArray weight, NDArray bias) implements Layer {

  /** Number of input features. */
  public int inFeatures() {
    return (int) weight.getShape().get(1);
  }

  /** Number of output features. */
  public int outFeatures() {
    return (int) weight.getShape().get(0);
  }

  @Override
  public String describe() {
    return "Linear(" + inFeatures() + "->" + outFeatures() + ")";
  }
}
