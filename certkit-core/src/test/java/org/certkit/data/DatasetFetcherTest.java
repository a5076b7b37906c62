package org.certkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetFetcherTest {

  @TempDir Path root;

  @Test
  void presentFilesAreKeptWithoutFetching() throws IOException {
    Path dir = Files.createDirectories(root.resolve("mnist"));
    fullMnist(dir);
    List<String> log = new ArrayList<>();

    Path fetched = DatasetFetcher.fetch(DatasetName.MNIST, root, log::add);

    assertEquals(dir, fetched);
    assertEquals(1, log.size(), log.toString());
    assertTrue(log.get(0).startsWith("mnist: already present in " + dir), log.get(0));
    try (var files = Files.list(root)) {
      assertEquals(List.of(dir), files.toList(), "no staging directory is left behind");
    }
  }

  /**
   * A truncated IDX file of the user is neither replaced nor deleted when the rest is fetched:
   * the fetch adds the three missing files, then fails naming the truncated one.
   */
  @Test
  void truncatedUserFileIsKeptAndNamed() throws IOException {
    Path dir = Files.createDirectories(root.resolve("mnist"));
    // A header announcing 60000 images followed by only 100 bytes of pixels.
    Path user = IdxWriter.images(dir.resolve("train-images-idx3-ubyte"), 60_000, 28, 28,
        new byte[100], false);
    assertUserFileSurvives(user, "truncated", 3);
  }

  /** The same for a file that is not IDX at all, under the gzip name. */
  @Test
  void garbageUserFileIsKeptAndNamed() throws IOException {
    Path dir = Files.createDirectories(root.resolve("mnist"));
    Path user = Files.writeString(dir.resolve("t10k-labels-idx1-ubyte.gz"),
        "not a data set\n", StandardCharsets.UTF_8);
    assertUserFileSurvives(user, "bad magic", 3);
  }

  /** A file that appears in the data directory while the source runs is kept as it is. */
  @Test
  void fileAppearingDuringTheFetchIsKept() throws IOException {
    Path dir = root.resolve("mnist");
    Path appeared = dir.resolve("t10k-labels-idx1-ubyte.gz");
    byte[] labels = new byte[10_000];
    Arrays.fill(labels, (byte) 7);
    DatasetFetcher.Attempt racing = new DatasetFetcher.Attempt("racing source", (r, stage) -> {
      fullMnist(stage);
      IdxWriter.labels(appeared, labels, true);
    });

    DatasetFetcher.fetch(DatasetName.MNIST, root, message -> {}, List.of(racing));

    ImageDataset test = DatasetStore.load(DatasetName.MNIST, Split.TEST, root);
    for (int i = 0; i < test.size(); i++) {
      assertEquals(7, test.label(i), "label " + i + " comes from the file that appeared");
    }
    assertEquals(0, DatasetStore.load(DatasetName.MNIST, Split.TRAIN, root).label(0),
        "the missing training files come from the source");
  }

  /**
   * Runs a fetch whose source supplies a complete, valid MNIST and checks that {@code user}
   * keeps its bytes and modification time, that the error names it and the {@code problem}, and
   * that the source was asked for the {@code added} missing files.
   */
  private void assertUserFileSurvives(Path user, String problem, int added) throws IOException {
    FileTime past = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(user, past);
    byte[] bytes = Files.readAllBytes(user);
    AtomicInteger calls = new AtomicInteger();
    DatasetFetcher.Attempt source = new DatasetFetcher.Attempt("local source", (r, stage) -> {
      calls.incrementAndGet();
      fullMnist(stage);
    });
    List<String> log = new ArrayList<>();

    DatasetFormatException e = assertThrows(DatasetFormatException.class,
        () -> DatasetFetcher.fetch(DatasetName.MNIST, root, log::add, List.of(source)));

    assertEquals(1, calls.get(), "the source ran");
    assertArrayEquals(bytes, Files.readAllBytes(user), "the user's bytes are unchanged");
    assertEquals(past, Files.getLastModifiedTime(user), "the user's file was not rewritten");
    assertEquals(user, e.file());
    assertTrue(e.getMessage().startsWith(user + ": ") && e.getMessage().contains(problem)
        && e.getMessage().contains("move " + user + " away")
        && e.getMessage().contains("--data-dir"), e.getMessage());
    try (var files = Files.list(user.getParent())) {
      assertEquals(4, files.count(), "the user's file and the " + added + " missing ones");
    }
    assertTrue(log.stream().anyMatch(l -> l.contains("added") && l.split(", ").length == added),
        log.toString());
    try (var files = Files.list(root)) {
      assertEquals(List.of(user.getParent()), files.toList(), "no staging directory is left");
    }
  }

  /** The four MNIST files in full size, all pixels and labels zero; gzip keeps them small. */
  private static void fullMnist(Path dir) throws IOException {
    IdxWriter.images(dir.resolve("train-images-idx3-ubyte.gz"), 60_000, 28, 28,
        new byte[60_000 * 784], true);
    IdxWriter.labels(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[60_000], true);
    IdxWriter.images(dir.resolve("t10k-images-idx3-ubyte.gz"), 10_000, 28, 28,
        new byte[10_000 * 784], true);
    IdxWriter.labels(dir.resolve("t10k-labels-idx1-ubyte.gz"), new byte[10_000], true);
  }
}
