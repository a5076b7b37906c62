package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DatasetStoreTest {

  @TempDir Path root;

  @Test
  void missingFilesNameTheFileAndTheFetchCommand() {
    var e = assertThrows(FileNotFoundException.class,
        () -> DatasetStore.load(DatasetName.MNIST, Split.TEST, root));

    String message = e.getMessage();
    assertTrue(message.contains("missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"),
        message);
    assertTrue(message.contains(root.resolve("mnist").toString()), message);
    assertTrue(message.contains("./certkit data fetch mnist"), message);
  }

  @Test
  void loadsIdxFilesRawOrGzip() throws IOException {
    Path dir = Files.createDirectories(root.resolve("fashion-mnist"));
    IdxWriter.images(dir.resolve("t10k-images-idx3-ubyte.gz"), 2, 28, 28,
        IdxWriter.pattern(2, 784), true);
    IdxWriter.labels(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {4, 5}, false);

    ImageDataset data = DatasetStore.load(DatasetName.FASHION_MNIST, Split.TEST, root);

    assertEquals("fashion-mnist-test", data.name());
    assertEquals(2, data.size());
    assertEquals(5, data.label(1));
  }

  @Test
  void loadsCifarFromTheOfficialSubdirectory() throws IOException {
    Path dir = Files.createDirectories(root.resolve("cifar10/cifar-10-batches-bin"));
    Files.write(dir.resolve("test_batch.bin"), Cifar10ReaderTest.batch(new int[] {8, 1, 6}, 0));

    ImageDataset data = DatasetStore.load(DatasetName.CIFAR10, Split.TEST, root);

    assertEquals(3, data.size());
    assertEquals(6, data.label(2));
  }

  @Test
  void missingCifarBatchIsNamed() throws IOException {
    Path dir = Files.createDirectories(root.resolve("cifar10"));
    for (int i : new int[] {1, 2, 4, 5}) {
      Files.write(
          dir.resolve("data_batch_" + i + ".bin"), Cifar10ReaderTest.batch(new int[] {0}, i));
    }

    var e = assertThrows(FileNotFoundException.class,
        () -> DatasetStore.load(DatasetName.CIFAR10, Split.TRAIN, root));

    assertTrue(e.getMessage().contains("missing data_batch_3.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("certkit data fetch cifar10"), e.getMessage());
  }

  /** Under {@code $HOME}, which the build passes to the test JVM as {@code user.home}. */
  @Test
  void defaultRootIsUnderTheHomeDirectoryWithoutTheVariable() {
    Assumptions.assumeTrue(System.getenv(DatasetStore.ROOT_ENV) == null);
    Assumptions.assumeTrue(System.getenv("HOME") != null);
    assertEquals(Path.of(System.getenv("HOME"), ".certkit", "data"), DatasetStore.defaultRoot());
  }

  /** Checks real data where it has been fetched; skipped otherwise. */
  @ParameterizedTest
  @EnumSource(value = DatasetName.class, names = {"MNIST", "FASHION_MNIST"})
  void realDataHasTheOfficialSizes(DatasetName dataset) throws IOException {
    for (Split split : Split.values()) {
      ImageDataset data;
      try {
        data = DatasetStore.load(dataset, split, DatasetStore.defaultRoot());
      } catch (FileNotFoundException e) {
        Assumptions.abort(dataset.id() + " not fetched: " + e.getMessage());
        return;
      }
      assertEquals(dataset.expectedSize(split), data.size());
    }
  }
}
