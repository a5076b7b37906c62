package org.certkit.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Layer;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest extends EngineTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(11);
  }

  /** A fully connected net survives save and load bit for bit, structure and outputs included. */
  @Test
  void fullyConnectedRoundTripIsBitExact() throws IOException {
    try (Network net = TinyNetworks.fc(manager, 3)) {
      assertRoundTripExact(net, dir.resolve("fc.ckpt"));
    }
  }

  /** A conv net with non-trivial BatchNorm statistics survives save and load bit for bit. */
  @Test
  void convBatchNormRoundTripIsBitExact() throws IOException {
    try (Network net = TinyNetworks.convBn(manager, 4)) {
      Random random = new Random(5);
      int batchNorms = 0;
      for (Layer layer : net.layers()) {
        if (layer instanceof BatchNorm b) {
          batchNorms++;
          int c = b.channels();
          b.runningMean().set(randomFloats(random, c, -0.5, 0.5));
          b.runningVar().set(randomFloats(random, c, 0.3, 3));
          b.gamma().set(randomFloats(random, c, -2, 2));
          b.beta().set(randomFloats(random, c, -1, 1));
        }
      }
      assertEquals(2, batchNorms, "convBn should have two BatchNorm layers");
      assertRoundTripExact(net, dir.resolve("conv.ckpt"));
    }
  }

  /** Extra arrays (any data type) and the JSON metadata come back unchanged, by name. */
  @Test
  void extraArraysAndMetadataRoundTrip() throws IOException {
    try (Network net = TinyNetworks.fc(manager, 6)) {
      Map<String, NDArray> extra = new LinkedHashMap<>();
      extra.put("adam.m.x", manager.create(new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f},
          new Shape(2, 2)));
      extra.put("counts", manager.create(new long[] {Long.MIN_VALUE, 0, 42, Long.MAX_VALUE}));
      extra.put("doubles", manager.create(new double[] {Math.PI, -1e-300}));
      ObjectNode metadata = JSON.createObjectNode();
      metadata.put("epoch", 7).put("note", "héllo \"world\"").put("lr", 5e-4);
      metadata.putObject("nested").putArray("list").add(1).add("two").addNull();
      Path file = dir.resolve("extra.ckpt");
      Checkpoint.save(file, net, extra, metadata);

      Checkpoint loaded = Checkpoint.load(file, manager);
      try (Network restored = loaded.network()) {
        assertEquals(List.copyOf(extra.keySet()), List.copyOf(loaded.extraArrays().keySet()));
        for (Map.Entry<String, NDArray> e : extra.entrySet()) {
          NDArray back = loaded.extraArrays().get(e.getKey());
          assertEquals(e.getValue().getDataType(), back.getDataType(), e.getKey());
          assertEquals(e.getValue().getShape(), back.getShape(), e.getKey());
          assertArrayEquals(bytes(e.getValue()), bytes(back), e.getKey());
        }
        assertEquals(metadata, loaded.metadata());
        assertEquals(net.state().keySet(), restored.state().keySet());
      }
    }
  }

  /** Without metadata the loaded checkpoint has none and no extra arrays. */
  @Test
  void noMetadataGivesNull() throws IOException {
    try (Network net = TinyNetworks.fc(manager, 6)) {
      Path file = dir.resolve("plain.ckpt");
      Checkpoint.save(file, net, Map.of(), null);
      Checkpoint loaded = Checkpoint.load(file, manager);
      try (Network restored = loaded.network()) {
        assertTrue(loaded.metadata() == null || loaded.metadata().isNull());
        assertTrue(loaded.extraArrays().isEmpty());
      }
    }
  }

  /** A file of random bytes is rejected as "not a certkit checkpoint", naming the file. */
  @Test
  void randomGarbageIsRejectedNamingTheFile() throws IOException {
    Path file = dir.resolve("garbage.ckpt");
    byte[] junk = new byte[4096];
    new Random(1).nextBytes(junk);
    Files.write(file, junk);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, manager));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a certkit checkpoint"), e.getMessage());
  }

  /** A checkpoint cut to half its length gives an IOException that names the file. */
  @Test
  void halfTruncatedCheckpointIsRejectedNamingTheFile() throws IOException {
    try (Network net = TinyNetworks.convBn(manager, 2)) {
      Path full = dir.resolve("full.ckpt");
      Checkpoint.save(full, net, Map.of(), JSON.createObjectNode().put("k", "v"));
      byte[] all = Files.readAllBytes(full);
      Path file = dir.resolve("half.ckpt");
      Files.write(file, Arrays.copyOf(all, all.length / 2));
      IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, manager));
      assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()),
          "message should name " + file + ": " + e);
    }
  }

  /**
   * Cut inside the magic, the length field, the first part of the JSON header or the arrays, a
   * checkpoint gives an IOException naming the file, never another exception or a short network.
   */
  @Test
  void truncationOutsideTheHeaderTailIsRejectedNamingTheFile() throws IOException {
    byte[] all = savedFcCheckpoint();
    int headerEnd = headerEnd(all);
    assertCutsRejected(all, List.of(0, 4, 8, 10, 12, 13, headerEnd / 2, headerEnd,
        headerEnd + 1, (headerEnd + all.length) / 2, all.length - 1));
  }

  /**
   * Cut within the last 12 bytes of the JSON header, or with a corrupt JSON header, a checkpoint
   * still gives an IOException naming the file.
   */
  @Test
  void truncationOrCorruptionInTheJsonHeaderNamesTheFile() throws IOException {
    byte[] all = savedFcCheckpoint();
    int headerEnd = headerEnd(all);
    assertCutsRejected(all, List.of(headerEnd - 12, headerEnd - 6, headerEnd - 1));
    byte[] corrupt = all.clone();
    corrupt[12] = '[';
    corrupt[13] = '!';
    Path file = dir.resolve("corrupt-json.ckpt");
    Files.write(file, corrupt);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, manager));
    assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()),
        "message should name " + file + ": " + e);
  }

  private byte[] savedFcCheckpoint() throws IOException {
    try (Network net = TinyNetworks.fc(manager, 8)) {
      Path full = dir.resolve("full.ckpt");
      Checkpoint.save(full, net, Map.of(), JSON.createObjectNode().put("k", "v"));
      return Files.readAllBytes(full);
    }
  }

  /** End of the JSON header: 8 magic bytes, a 4-byte big-endian length, the JSON. */
  private static int headerEnd(byte[] all) {
    return 12 + ByteBuffer.wrap(all, 8, 4).getInt();
  }

  private void assertCutsRejected(byte[] all, List<Integer> cuts) throws IOException {
    List<String> failures = new ArrayList<>();
    for (int cut : cuts) {
      Path file = dir.resolve("cut-" + cut + ".ckpt");
      Files.write(file, Arrays.copyOf(all, cut));
      try {
        Checkpoint c = Checkpoint.load(file, manager);
        c.network().close();
        failures.add("cut at " + cut + " of " + all.length + ": loaded without error");
      } catch (IOException e) {
        if (e.getMessage() == null || !e.getMessage().contains(file.toString())) {
          failures.add("cut at " + cut + " of " + all.length + ": message does not name the"
              + " file: " + e);
        }
      } catch (RuntimeException e) {
        failures.add("cut at " + cut + " of " + all.length + ": " + e);
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** A missing file gives NoSuchFileException naming it. */
  @Test
  void missingFileGivesNoSuchFile() {
    Path file = dir.resolve("nope").resolve("model.ckpt");
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> Checkpoint.load(file, manager));
    assertEquals(file.toString(), e.getFile());
  }

  /** Saving leaves no temporary file behind, also when it replaces an existing checkpoint. */
  @Test
  void saveIsAtomicAndLeavesNoTemporaryFile() throws IOException {
    try (Network first = TinyNetworks.fc(manager, 1); Network second = TinyNetworks.fc(manager, 2)) {
      Path file = dir.resolve("sub").resolve("model.ckpt");
      Checkpoint.save(file, first, Map.of(), null);
      Checkpoint.save(file, second, Map.of(), null);
      try (Stream<Path> files = Files.list(file.getParent())) {
        assertEquals(List.of(file), files.toList(), "only the checkpoint should remain");
      }
      Checkpoint loaded = Checkpoint.load(file, manager);
      try (Network restored = loaded.network()) {
        NDArray w = restored.state().get("2.weight");
        assertArrayEquals(bytes(second.state().get("2.weight")), bytes(w),
            "the second save should replace the first");
        assertNotEquals(Arrays.toString(bytes(first.state().get("2.weight"))),
            Arrays.toString(bytes(w)));
      }
    }
  }

  private void assertRoundTripExact(Network net, Path file) throws IOException {
    Checkpoint.save(file, net, Map.of(), null);
    Checkpoint loaded = Checkpoint.load(file, manager);
    try (Network restored = loaded.network()) {
      assertEquals(net.architecture(), restored.architecture());
      assertEquals(net.inputShape(), restored.inputShape());
      assertEquals(describe(net), describe(restored));
      Map<String, NDArray> before = net.state();
      Map<String, NDArray> after = restored.state();
      assertEquals(List.copyOf(before.keySet()), List.copyOf(after.keySet()));
      for (String name : before.keySet()) {
        assertEquals(before.get(name).getDataType(), after.get(name).getDataType(), name);
        assertEquals(before.get(name).getShape(), after.get(name).getShape(), name);
        assertArrayEquals(bytes(before.get(name)), bytes(after.get(name)), name);
      }
      for (int i = 0; i < net.layers().size(); i++) {
        if (net.layers().get(i) instanceof BatchNorm b) {
          BatchNorm r = (BatchNorm) restored.layers().get(i);
          assertEquals(b.epsilon(), r.epsilon());
          assertEquals(b.momentum(), r.momentum());
        }
      }
      assertTrue(loaded.extraArrays().isEmpty());
      NDArray x = TinyNetworks.inputs(manager, net, 5).toType(DataType.FLOAT32, false);
      NDArray expected = ConcreteDomain.forward(net, x, BatchStatistics.evaluation());
      NDArray actual = ConcreteDomain.forward(restored, x, BatchStatistics.evaluation());
      assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 0f);
    }
  }

  private static List<String> describe(Network net) {
    return net.layers().stream().map(Layer::describe).toList();
  }

  private static byte[] bytes(NDArray a) {
    ByteBuffer buffer = a.toByteBuffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  private static float[] randomFloats(Random random, int n, double lo, double hi) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (lo + (hi - lo) * random.nextDouble());
    }
    return out;
  }
}
