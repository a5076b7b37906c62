package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {

  @TempDir Path dir;

  /** Official record layout: label, then red, green, blue planes of 32x32 row-major pixels. */
  static byte[] batch(int[] labels, int seed) {
    byte[] bytes = new byte[labels.length * 3073];
    for (int r = 0; r < labels.length; r++) {
      bytes[r * 3073] = (byte) labels[r];
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            bytes[r * 3073 + 1 + c * 1024 + y * 32 + x] = (byte) pixel(seed + r, c, y, x);
          }
        }
      }
    }
    return bytes;
  }

  static int pixel(int image, int c, int y, int x) {
    return (image * 53 + c * 100 + y * 7 + x) & 0xFF;
  }

  @Test
  void readsTwoBatchesInOrderAsChw() throws IOException {
    Path first = Files.write(dir.resolve("data_batch_1.bin"), batch(new int[] {3, 9}, 0));
    Path second = Files.write(dir.resolve("data_batch_2.bin"), batch(new int[] {0}, 2));

    ImageDataset data = Cifar10Reader.read("cifar", List.of(first, second));

    assertEquals(3, data.size());
    assertEquals(3, data.channels());
    assertEquals(32, data.height());
    assertEquals(32, data.width());
    assertEquals(3, data.label(0));
    assertEquals(9, data.label(1));
    assertEquals(0, data.label(2));
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray images = data.images(manager, new int[] {2, 0, 1});
      assertEquals(new Shape(3, 3, 32, 32), images.getShape());
      int[] order = {2, 0, 1};
      for (int b = 0; b < 3; b++) {
        for (int c = 0; c < 3; c++) {
          for (int y = 0; y < 32; y += 5) {
            for (int x = 0; x < 32; x += 3) {
              assertEquals(pixel(order[b], c, y, x) / 255f,
                  images.getFloat(b, c, y, x), 0f, "b=" + b + " c=" + c + " y=" + y + " x=" + x);
            }
          }
        }
      }
    }
  }

  @Test
  void lengthNotAMultipleOfTheRecordNamesTheFile() throws IOException {
    Path good = Files.write(dir.resolve("data_batch_1.bin"), batch(new int[] {1}, 0));
    Path bad = Files.write(dir.resolve("data_batch_2.bin"), new byte[3073 + 10]);

    var e = assertThrows(DatasetFormatException.class,
        () -> Cifar10Reader.read("cifar", List.of(good, bad)));

    assertTrue(e.getMessage().contains("data_batch_2.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("length 3083"), e.getMessage());
  }

  @Test
  void labelOutOfRangeNamesTheFile() throws IOException {
    Path bad = Files.write(dir.resolve("test_batch.bin"), batch(new int[] {4, 12}, 0));

    var e = assertThrows(DatasetFormatException.class,
        () -> Cifar10Reader.read("cifar", List.of(bad)));

    assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("label 12 of record 1"), e.getMessage());
  }
}
