package org.certkit.net;

/**
 * Max pooling over square windows of {@code [N, C, H, W]} inputs; padded positions never win (they count as minus infinity). Monotone in every input.
 *
 * @param kernel window side, at least 1
 * @param stride step between windows, at least 1
 * @param padding zero (or minus infinity) rows and columns on each side, at most half the kernel
 */
public record MaxPool(int kernel, int stride, int padding) implements Layer {

  /** Validates the window. */
  public MaxPool {
    if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel) {
      throw new IllegalArgumentException("MaxPool needs kernel >= 1, stride >= 1 and"
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
    return "MaxPool(k" + kernel + ", s" + stride + ", p" + padding + ")";
  }
}
