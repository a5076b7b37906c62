package org.certkit.net;

/**
 * Average pooling over square windows of {@code [N, C, H, W]} inputs: the mean of each
 * {@code kernel x kernel} window, zero padding counted in the divisor (PyTorch's default, ONNX
 * {@code count_include_pad = 1}). A linear map.
 *
 * @param kernel window side, at least 1
 * @param stride step between windows, at least 1
 * @param padding zero rows and columns on each side, at most half the kernel
 */
public record AvgPool(int kernel, int stride, int padding) implements Layer {

  /** Validates the window. */
  public AvgPool {
    PoolWindow.check("AvgPool", kernel, stride, padding);
  }

  /** Output height or width for an input of {@code size}. */
  public int outputSize(int size) {
    return PoolWindow.outputSize(size, kernel, stride, padding);
  }

  @Override
  public String describe() {
    return PoolWindow.describe("AvgPool", kernel, stride, padding);
  }
}
