package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

  private static final int SIZE = 28 * 28;

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void readsBackWhatWasWritten(boolean gzip) throws IOException {
    byte[] pixels = IdxWriter.pattern(3, SIZE);
    // Names without .gz on purpose: gzip is detected from the content.
    Path images = IdxWriter.images(dir.resolve("imgs"), 3, 28, 28, pixels, gzip);
    Path labels = IdxWriter.labels(dir.resolve("lbls"), new byte[] {7, 0, 9}, gzip);

    ImageDataset data = IdxReader.read(DatasetName.MNIST, "t", images, labels);

    assertEquals(3, data.size());
    assertEquals(1, data.channels());
    assertEquals(28, data.height());
    assertEquals(28, data.width());
    assertEquals(7, data.label(0));
    assertEquals(0, data.label(1));
    assertEquals(9, data.label(2));
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] values = data.images(manager, new int[] {0, 1, 2}).toFloatArray();
      for (int i = 0; i < pixels.length; i++) {
        assertEquals((pixels[i] & 0xFF) / 255f, values[i], 0f);
      }
    }
  }

  @Test
  void truncatedImagesNameTheFile() throws IOException {
    Path images = IdxWriter.images(dir.resolve("train-images-idx3-ubyte"), 3, 28, 28,
        new byte[2 * SIZE + 100], false);
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[3], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated: expected " + (16 + 3 * SIZE) + " bytes, got "
        + (16 + 2 * SIZE + 100)), e.getMessage());
  }

  @Test
  void truncatedGzipIsAFormatError() throws IOException {
    Path images = IdxWriter.images(dir.resolve("images.gz"), 3, 28, 28,
        IdxWriter.pattern(3, SIZE), true);
    byte[] whole = Files.readAllBytes(images);
    Files.write(images, Arrays.copyOf(whole, whole.length / 2));
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[3], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("images.gz"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void badMagicIsReported() throws IOException {
    // A labels file passed as the images file.
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[3], false);
    Path wrong = IdxWriter.labels(dir.resolve("not-images"), new byte[3 * SIZE + 8], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", wrong, labels));

    assertTrue(e.getMessage().contains("not-images"), e.getMessage());
    assertTrue(e.getMessage().contains("bad magic 0x00000801, expected 0x00000803"),
        e.getMessage());
  }

  @Test
  void labelCountMismatchIsReported() throws IOException {
    Path images = IdxWriter.images(dir.resolve("images"), 3, 28, 28, new byte[3 * SIZE], false);
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[4], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("has 4 labels but"), e.getMessage());
    assertTrue(e.getMessage().contains("has 3 images"), e.getMessage());
  }

  @Test
  void labelAboveNineIsReported() throws IOException {
    Path images = IdxWriter.images(dir.resolve("images"), 3, 28, 28, new byte[3 * SIZE], false);
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[] {1, 10, 2}, false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("labels"), e.getMessage());
    assertTrue(e.getMessage().contains("label 10 at index 1 is outside 0..9"), e.getMessage());
  }

  @Test
  void wrongImageSizeIsReported() throws IOException {
    Path images = IdxWriter.images(dir.resolve("images"), 2, 32, 32, new byte[2 * 1024], false);
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[2], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.FASHION_MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("images are 32x32, expected 28x28 for fashion-mnist"),
        e.getMessage());
  }

  @Test
  void trailingBytesAreRejected() throws IOException {
    Path images = IdxWriter.images(dir.resolve("images"), 1, 28, 28, new byte[SIZE + 1], false);
    Path labels = IdxWriter.labels(dir.resolve("labels"), new byte[1], false);

    var e = assertThrows(DatasetFormatException.class,
        () -> IdxReader.read(DatasetName.MNIST, "t", images, labels));

    assertTrue(e.getMessage().contains("trailing data"), e.getMessage());
  }
}
