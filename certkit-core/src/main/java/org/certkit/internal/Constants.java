package org.certkit.internal;

import ai.djl.ndarray.NDArray;

/**
 * Constant arrays whose memory the engine owns, for arithmetic that autograd may differentiate.
 *
 * <p>DJL's scalar overloads ({@code mul(Number)}, {@code div(Number)}, {@code maximum(Number)},
 * {@code minimum(Number)}, {@code pow(Number)} and {@code mod(Number)}, in place or not) wrap the
 * scalar in a tensor over a Java direct buffer and close it as soon as the operation returns. The
 * backward of those operations reads the scalar again; by then the garbage collector may have
 * freed the buffer and reused its memory, so gradients silently become garbage (a loss weight of
 * 0.5 read back as 1e-29, say) in a few steps out of thousands, depending on collection timing.
 * Every constant operand in certkit therefore comes from here: the engine copies the value into
 * memory it owns, which the autograd graph keeps alive for as long as it needs it. An architecture
 * test forbids the scalar overloads everywhere else.
 */
public final class Constants {

  private Constants() {}

  /** The 0-dimensional array {@code value}, in {@code like}'s data type and manager. */
  public static NDArray scalar(NDArray like, double value) {
    try (NDArray javaBacked = like.getManager().create(value)) {
      return engineOwned(javaBacked, like);
    }
  }

  /** {@code values} as a 1-dimensional array in {@code like}'s data type and manager. */
  public static NDArray vector(float[] values, NDArray like) {
    try (NDArray javaBacked = like.getManager().create(values)) {
      return engineOwned(javaBacked, like);
    }
  }

  /**
   * A copy in memory the engine allocates: a conversion when the type differs, a clone when it
   * does not (a conversion to the same type, even one asked to copy, aliases the Java buffer).
   */
  private static NDArray engineOwned(NDArray javaBacked, NDArray like) {
    return javaBacked.getDataType() == like.getDataType() ? javaBacked.duplicate()
        : javaBacked.toType(like.getDataType(), false);
  }
}
