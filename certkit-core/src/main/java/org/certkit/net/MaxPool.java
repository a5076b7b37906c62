package org.certkit.net;

/**
 * Max pooling over square windows of {@code [N, C, H, W]} inputs; padded positions never win
 * (they count as minus infinity). Monotone in every input.
 *
 * @param kernel window side, at least 1
 * @param stride step between windows, at least 1
 * @param padding rows and columns on each side that never win, at most half the kernel
 */
public record MaxPool(int kernel, int stride, int padding) implements Layer {

  /** Validates the window. */
  public MaxPool {
    PoolWindow.check("MaxPool", kernel, stride, padding);
  }

  /** Output height or width for an input of {@code size}. */
  public int outputSize(int size) {
    return PoolWindow.outputSize(size, kernel, stride, padding);
  }

  @Override
  public String describe() {
    return PoolWindow.describe("MaxPool", kernel, stride, padding);
  }
}
