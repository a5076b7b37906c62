package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetFetcherTest {

  @TempDir Path root;

  @Test
  void presentFilesAreKeptWithoutFetching() throws IOException {
    Path dir = Files.createDirectories(root.resolve("mnist"));
    // Full-size blank sets; gzip keeps the files small.
    IdxWriter.images(dir.resolve("train-images-idx3-ubyte.gz"), 60_000, 28, 28,
        new byte[60_000 * 784], true);
    IdxWriter.labels(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[60_000], true);
    IdxWriter.images(dir.resolve("t10k-images-idx3-ubyte.gz"), 10_000, 28, 28,
        new byte[10_000 * 784], true);
    IdxWriter.labels(dir.resolve("t10k-labels-idx1-ubyte.gz"), new byte[10_000], true);
    List<String> log = new ArrayList<>();

    Path fetched = DatasetFetcher.fetch(DatasetName.MNIST, root, log::add);

    assertEquals(dir, fetched);
    assertEquals(1, log.size(), log.toString());
    assertTrue(log.get(0).startsWith("mnist: already present in " + dir), log.get(0));
    try (var files = Files.list(root)) {
      assertEquals(List.of(dir), files.toList(), "no staging directory is left behind");
    }
  }
}
