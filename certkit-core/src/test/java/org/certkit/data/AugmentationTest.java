package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AugmentationTest {

  /** A 1x3x3 image with distinct pixels 1..9. */
  private static ImageDataset ramp() {
    byte[] pixels = new byte[9];
    for (int i = 0; i < 9; i++) {
      pixels[i] = (byte) (i + 1);
    }
    return new ImageDataset("ramp", 1, 3, 3, 10, pixels, new byte[] {0});
  }

  /** Every augmented image is one of the 25 shifts x 2 flips of the original, all of them occur. */
  @Test
  void cropsAndFlipsAreShiftsOfTheOriginal() {
    ImageDataset data = ramp();
    Set<String> expected = new HashSet<>();
    for (int dy = -2; dy <= 2; dy++) {
      for (int dx = -2; dx <= 2; dx++) {
        for (boolean flip : new boolean[] {false, true}) {
          float[] image = new float[9];
          for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
              int si = i + dy;
              int sj = (flip ? 2 - j : j) + dx;
              image[i * 3 + j] = si >= 0 && si < 3 && sj >= 0 && sj < 3
                  ? (si * 3 + sj + 1) / 255f : 0f;
            }
          }
          expected.add(java.util.Arrays.toString(image));
        }
      }
    }
    Set<String> seen = new HashSet<>();
    Random random = new Random(5);
    try (NDManager manager = NDManager.newBaseManager()) {
      for (int trial = 0; trial < 2000; trial++) {
        float[] image = data.images(manager, new int[] {0}, Augmentation.CIFAR10, random)
            .toFloatArray();
        String key = java.util.Arrays.toString(image);
        assertTrue(expected.contains(key), "not a shift or flip of the original: " + key);
        seen.add(key);
      }
    }
    assertEquals(expected.size(), seen.size(), "every crop offset and flip should occur");
  }

  /** No augmentation returns the plain images. */
  @Test
  void noneIsIdentity() {
    ImageDataset data = ramp();
    try (NDManager manager = NDManager.newBaseManager()) {
      assertArrayEquals(data.images(manager, new int[] {0}).toFloatArray(),
          data.images(manager, new int[] {0}, Augmentation.NONE, new Random(1)).toFloatArray());
    }
  }
}
