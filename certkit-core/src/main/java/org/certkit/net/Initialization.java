package org.certkit.net;

/** How a freshly built network draws its weights. */
public enum Initialization {
  /**
   * PyTorch's default for Linear and Conv2d: weights and biases uniform in
   * {@code [-1/sqrt(fanIn), 1/sqrt(fanIn)]}; BatchNorm scale 1 and shift 0.
   */
  DEFAULT,
  /**
   * The IBP initialisation of Shi et al. (2021): every weight matrix or kernel except the last
   * layer's drawn from {@code N(0, 2 pi / fanIn^2)}, which keeps the interval radius roughly
   * constant through depth at initialisation; biases and the last layer as {@link #DEFAULT}.
   */
  IBP
}
