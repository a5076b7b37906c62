package org.certkit.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * Float32 engine arrays read and written from Java through direct buffers, for passes over
 * memory that would otherwise cost one native operation per arithmetic step (the optimiser's
 * update, the gradient norm), and the split of such a pass over the cores.
 *
 * <p>The engine hands out a CPU tensor's own memory when it is contiguous and a fresh
 * contiguous copy otherwise: reading works either way, writing only through
 * {@link #sharesMemory shared} memory.
 */
public final class EngineMemory {

  /** Values per part of a pass: a shorter pass runs on the calling thread. */
  private static final int PART = 1 << 16;

  private EngineMemory() {}

  /** One part {@code [from, to)} of a pass; returns its share of a sum (0 when none). */
  @FunctionalInterface
  public interface Part {
    /** Runs the part. */
    double run(int from, int to);
  }

  /** The float32 values of {@code array} (row-major) through a direct buffer. */
  public static FloatBuffer floats(NDArray array) {
    if (array.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("float32 expected, got " + array.getDataType());
    }
    return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /**
   * Whether {@code array} is float32 and its direct buffer is its own memory: a value written
   * through one buffer shows in a second one only when both are the array's memory. The probe
   * writes one value and puts it back.
   */
  public static boolean sharesMemory(NDArray array) {
    if (array.getDataType() != DataType.FLOAT32 || array.size() == 0) {
      return false;
    }
    FloatBuffer first = floats(array);
    FloatBuffer second = floats(array);
    float kept = first.get(0);
    float probe = kept == 1f ? 2f : 1f;
    first.put(0, probe);
    boolean shared = second.get(0) == probe;
    first.put(0, kept);
    return shared;
  }

  /**
   * Runs {@code part} over {@code [0, n)} cut into parts of {@value #PART} values (the last one
   * shorter), in parallel when there are several; returns the sum of the parts' results, added in
   * the order of the parts. The cut does not depend on the number of cores, so neither does the
   * sum.
   */
  public static double inParts(int n, Part part) {
    int parts = Math.max(1, (n + PART - 1) / PART);
    if (parts == 1) {
      return part.run(0, n);
    }
    double[] results = new double[parts];
    IntStream.range(0, parts).parallel()
        .forEach(i -> results[i] = part.run(i * PART, (int) Math.min(n, (i + 1L) * PART)));
    double sum = 0;
    for (double r : results) {
      sum += r;
    }
    return sum;
  }
}
