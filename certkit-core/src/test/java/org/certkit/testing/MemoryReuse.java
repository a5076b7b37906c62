package org.certkit.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Frees what the garbage collector can free and refills small native allocations with a marker,
 * so that memory still read through a dangling pointer shows a wrong value instead of the right
 * one left behind.
 */
public final class MemoryReuse {

  /** The value written into every reused allocation. */
  public static final float MARKER = 7f;

  private MemoryReuse() {}

  /**
   * Runs a collection, then allocates small direct buffers filled with {@link #MARKER}; keep the
   * returned list reachable until the computation under test has read its memory.
   */
  public static List<ByteBuffer> collectAndOverwrite() {
    System.gc();
    List<ByteBuffer> buffers = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(4 << (i % 2)).order(ByteOrder.nativeOrder());
      while (buffer.remaining() >= Float.BYTES) {
        buffer.putFloat(MARKER);
      }
      buffers.add(buffer);
    }
    return buffers;
  }
}
