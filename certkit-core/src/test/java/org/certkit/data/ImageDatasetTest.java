package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

  /** Five 2x3x4 images whose pixels run through all 256 byte values. */
  private static ImageDataset five() {
    return new ImageDataset("five", 2, 3, 4, 10, IdxWriter.pattern(5, 24),
        new byte[] {0, 1, 2, 3, 9});
  }

  @Test
  void imagesAreFloatBatchesInUnitRange() {
    ImageDataset data = five();
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray images = data.images(manager, new int[] {4, 0});
      assertEquals(new Shape(2, 2, 3, 4), images.getShape());
      assertEquals(DataType.FLOAT32, images.getDataType());
      assertTrue(images.min().getFloat() >= 0f);
      assertTrue(images.max().getFloat() <= 1f);
      byte[] pixels = IdxWriter.pattern(5, 24);
      float[] values = images.toFloatArray();
      for (int k = 0; k < 24; k++) {
        assertEquals((pixels[4 * 24 + k] & 0xFF) / 255f, values[k], 0f);
        assertEquals((pixels[k] & 0xFF) / 255f, values[24 + k], 0f);
      }
    }
  }

  @Test
  void extremesMapToZeroAndOne() {
    ImageDataset data = new ImageDataset("bw", 1, 1, 2, 2, new byte[] {0, (byte) 255},
        new byte[] {1});
    try (NDManager manager = NDManager.newBaseManager()) {
      assertArrayEquals(new float[] {0f, 1f}, data.images(manager, new int[] {0}).toFloatArray());
    }
  }

  @Test
  void labelsAreInt64() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray labels = five().labels(manager, new int[] {4, 1, 1});
      assertEquals(DataType.INT64, labels.getDataType());
      assertEquals(new Shape(3), labels.getShape());
      assertArrayEquals(new long[] {9, 1, 1}, labels.toLongArray());
    }
  }

  @Test
  void indexOutOfRangeIsRejected() {
    try (NDManager manager = NDManager.newBaseManager()) {
      var e = assertThrows(IndexOutOfBoundsException.class,
          () -> five().images(manager, new int[] {5}));
      assertTrue(e.getMessage().contains("index 5 outside 0..4"), e.getMessage());
    }
  }

  @Test
  void subsetKeepsTheFirstSamples() {
    ImageDataset sub = five().subset(2);
    assertEquals(2, sub.size());
    assertEquals(0, sub.label(0));
    assertEquals(1, sub.label(1));
    try (NDManager manager = NDManager.newBaseManager()) {
      assertArrayEquals(five().images(manager, new int[] {0, 1}).toFloatArray(),
          sub.images(manager, new int[] {0, 1}).toFloatArray());
    }
    assertThrows(IllegalArgumentException.class, () -> five().subset(6));
  }

  @Test
  void selectKeepsTheChosenSamplesInOrder() {
    ImageDataset chosen = five().select(new int[] {4, 1, 4});
    assertEquals(3, chosen.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(five().label(new int[] {4, 1, 4}[i]), chosen.label(i));
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      assertArrayEquals(five().images(manager, new int[] {4, 1, 4}).toFloatArray(),
          chosen.images(manager, new int[] {0, 1, 2}).toFloatArray());
    }
    assertThrows(IllegalArgumentException.class, () -> five().select(new int[] {5}));
  }

  @Test
  void sequentialBatchesKeepTheLastPartialBatch() {
    int[][] batches = five().batches(2, null);
    assertEquals(3, batches.length);
    assertArrayEquals(new int[] {0, 1}, batches[0]);
    assertArrayEquals(new int[] {2, 3}, batches[1]);
    assertArrayEquals(new int[] {4}, batches[2]);
  }

  @Test
  void shuffledBatchesAreAPermutationAndReproducible() {
    int[][] batches = five().batches(3, new Random(1));
    assertEquals(2, batches.length);
    assertEquals(3, batches[0].length);
    assertEquals(2, batches[1].length);
    int[] all = Arrays.stream(batches).flatMapToInt(Arrays::stream).sorted().toArray();
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, all);
    assertArrayEquals(batches[0], five().batches(3, new Random(1))[0]);
    assertThrows(IllegalArgumentException.class, () -> five().batches(0, null));
  }

  @Test
  void constructorChecksLengthsAndLabels() {
    var lengths = assertThrows(IllegalArgumentException.class,
        () -> new ImageDataset("x", 1, 2, 2, 10, new byte[7], new byte[2]));
    assertTrue(lengths.getMessage().contains("need 8 pixel bytes, got 7"), lengths.getMessage());
    var label = assertThrows(IllegalArgumentException.class,
        () -> new ImageDataset("x", 1, 1, 1, 10, new byte[1], new byte[] {10}));
    assertTrue(label.getMessage().contains("label 10 of image 0"), label.getMessage());
  }
}
