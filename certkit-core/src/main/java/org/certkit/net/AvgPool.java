package org.certkit.net;

/**
 * Average pooling over square windows of {@code [N, C, H, W]} inputs: the mean of each {@code kernel x kernel} window, zero padding counted in the divisor (PyTorch's default, ONNX {@code count_include_pad = 1}). A linear map.
 *
 * @param kernel window side, at least 1
 * @param stride step between windows, at least 1
 * @param padding zero (or minus infinity) rows and columns on each side, at most half the kernel
 */
public record AvgPool(int kernel, int stride, int padding) implements Layer {

  /** Validates the window. */
  public AvgPool {
    if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel) {
      throw new IllegalArgumentException("AvgPool needs kernel >= 1, stride >= 1 and"
          + " 0 <= padding <= kernel / 2, got kernel " + kernel + ", stride " + stride
          + ", padding " + padding);
    }
  }

  /** Output height or width for an input of {@code size}. */
  public int outputSize(int size) {
    return (size + 2 * padding - kernel) / stride + 1;
  }

  @Override
  public String describe() {
    return "AvgPool(k" + kernel + ", s" + stride + ", p" + padding + ")";
  }
}
