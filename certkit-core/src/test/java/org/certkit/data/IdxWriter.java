package org.certkit.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files for tests, raw or gzip. */
final class IdxWriter {

  private IdxWriter() {}

  static Path images(Path file, int count, int rows, int cols, byte[] pixels, boolean gzip)
      throws IOException {
    ByteBuffer header = ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(rows)
        .putInt(cols);
    return write(file, header.array(), pixels, gzip);
  }

  static Path labels(Path file, byte[] labels, boolean gzip) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(8).putInt(0x801).putInt(labels.length);
    return write(file, header.array(), labels, gzip);
  }

  /** Pixels {@code (i * 31 + k) mod 256} for image i, pixel k, so each image differs. */
  static byte[] pattern(int count, int imageSize) {
    byte[] pixels = new byte[count * imageSize];
    for (int i = 0; i < count; i++) {
      for (int k = 0; k < imageSize; k++) {
        pixels[i * imageSize + k] = (byte) (i * 31 + k);
      }
    }
    return pixels;
  }

  private static Path write(Path file, byte[] header, byte[] body, boolean gzip)
      throws IOException {
    try (OutputStream raw = Files.newOutputStream(file);
        OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
      out.write(header);
      out.write(body);
    }
    return file;
  }
}
