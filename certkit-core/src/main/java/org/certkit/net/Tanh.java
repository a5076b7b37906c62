package org.certkit.net;

/** The hyperbolic tangent, elementwise, any shape. Monotone. */
public record Tanh() implements Layer {
  @Override
  public String describe() {
    return "Tanh";
  }
}
