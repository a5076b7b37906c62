package org.certkit.net;

/** The square window shared by {@link AvgPool} and {@link MaxPool}: its checks and its size. */
final class PoolWindow {

  private PoolWindow() {}

  /** Refuses a window that is empty, does not move, or is padded by more than half its side. */
  static void check(String layer, int kernel, int stride, int padding) {
    if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel) {
      throw new IllegalArgumentException(layer + " needs kernel >= 1, stride >= 1 and"
          + " 0 <= padding <= kernel / 2, got kernel " + kernel + ", stride " + stride
          + ", padding " + padding);
    }
  }

  /** Output height or width for an input of {@code size}. */
  static int outputSize(int size, int kernel, int stride, int padding) {
    return (size + 2 * padding - kernel) / stride + 1;
  }

  /** Such as {@code MaxPool(k3, s2, p1)}. */
  static String describe(String layer, int kernel, int stride, int padding) {
    return layer + "(k" + kernel + ", s" + stride + ", p" + padding + ")";
  }
}
