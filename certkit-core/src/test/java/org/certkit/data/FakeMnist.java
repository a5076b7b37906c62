package org.certkit.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** A full-size, all-zero MNIST (gzip IDX) under a data root, so that no fetch is attempted. */
public final class FakeMnist {

  private FakeMnist() {}

  /** Writes the four MNIST files under {@code root/mnist}. */
  public static void write(Path root) throws IOException {
    Path mnist = Files.createDirectories(root.resolve("mnist"));
    writeIdx(mnist.resolve("train-images-idx3-ubyte.gz"), 60_000, true);
    writeIdx(mnist.resolve("train-labels-idx1-ubyte.gz"), 60_000, false);
    writeIdx(mnist.resolve("t10k-images-idx3-ubyte.gz"), 10_000, true);
    writeIdx(mnist.resolve("t10k-labels-idx1-ubyte.gz"), 10_000, false);
  }

  /**
   * Writes an MNIST test set of {@code count} random images and labels under
   * {@code root/mnist} (the test files only: enough for {@link DatasetStore#load} of the test
   * split).
   */
  public static void writeRandomTestSet(Path root, int count, long seed) throws IOException {
    Path mnist = Files.createDirectories(root.resolve("mnist"));
    java.util.Random random = new java.util.Random(seed);
    byte[] pixels = new byte[count * 784];
    random.nextBytes(pixels);
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(
        mnist.resolve("t10k-images-idx3-ubyte.gz")))) {
      o.write(ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(28).putInt(28)
          .array());
      o.write(pixels);
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(
        mnist.resolve("t10k-labels-idx1-ubyte.gz")))) {
      o.write(ByteBuffer.allocate(8).putInt(0x801).putInt(count).array());
      o.write(labels);
    }
  }

  /** An IDX file of {@code count} all-zero 28x28 images or labels, gzip-compressed. */
  public static void writeIdx(Path file, int count, boolean images) throws IOException {
    ByteBuffer header = images
        ? ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(28).putInt(28)
        : ByteBuffer.allocate(8).putInt(0x801).putInt(count);
    long body = images ? (long) count * 28 * 28 : count;
    byte[] zeros = new byte[1 << 16];
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
      o.write(header.array());
      for (long written = 0; written < body; written += zeros.length) {
        o.write(zeros, 0, (int) Math.min(zeros.length, body - written));
      }
    }
  }
}
