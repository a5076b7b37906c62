package org.certkit.net;

/** Rectified linear unit {@code max(x, 0)}, elementwise, any shape. */
public record Relu() implements Layer {
  @Override
  public String describe() {
    return "ReLU";
  }
}
