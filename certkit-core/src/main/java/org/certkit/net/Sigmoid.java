package org.certkit.net;

/** The logistic function {@code 1 / (1 + exp(-x))}, elementwise, any shape. Monotone. */
public record Sigmoid() implements Layer {
  @Override
  public String describe() {
    return "Sigmoid";
  }
}
