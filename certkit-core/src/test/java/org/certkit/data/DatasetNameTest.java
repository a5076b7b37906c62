package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatasetNameTest {

  @Test
  void parsesIdsIgnoringCase() {
    assertEquals(DatasetName.MNIST, DatasetName.parse("MNIST"));
    assertEquals(DatasetName.FASHION_MNIST, DatasetName.parse("Fashion-MNIST"));
    assertEquals(DatasetName.CIFAR10, DatasetName.parse("cifar10"));
  }

  @Test
  void unknownIdListsTheValidOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> DatasetName.parse("svhn"));
    assertTrue(e.getMessage().contains("'svhn'"), e.getMessage());
    assertTrue(e.getMessage().contains("mnist, fashion-mnist, cifar10"), e.getMessage());
  }

  @Test
  void describesShapesAndNormalisation() {
    assertEquals(3, DatasetName.CIFAR10.channels());
    assertEquals(32, DatasetName.CIFAR10.width());
    assertEquals(28, DatasetName.FASHION_MNIST.height());
    assertEquals(10, DatasetName.MNIST.numClasses());
    assertArrayEquals(new float[] {0.2023f, 0.1994f, 0.2010f}, DatasetName.CIFAR10.std());
    assertArrayEquals(new float[] {0.2860f}, DatasetName.FASHION_MNIST.mean());
    assertEquals(50_000, DatasetName.CIFAR10.expectedSize(Split.TRAIN));
    assertEquals(10_000, DatasetName.MNIST.expectedSize(Split.TEST));
    DatasetName.MNIST.mean()[0] = 5f;
    assertEquals(0.1307f, DatasetName.MNIST.mean()[0]);
  }
}
