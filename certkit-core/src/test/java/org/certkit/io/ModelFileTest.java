package org.certkit.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.net.InputFormat;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest extends EngineTest {

  @TempDir Path dir;
  /**
   * The content decides: a checkpoint named {@code .onnx} loads as a checkpoint, an ONNX model
   * without the extension as ONNX (both give the same network), anything else is refused.
   */
  @Test
  void dispatchesOnContentAndName() throws IOException {
    try (Network net = TinyNetworks.convBn(manager, 1)) {
      Path checkpoint = dir.resolve("model.onnx");
      Checkpoint.save(checkpoint, net, Map.of(), null);
      Path onnx = Files.write(dir.resolve("model.bin"), OnnxExporter.toBytes(net));
      try (Network a = ModelFile.load(checkpoint, manager);
          Network b = ModelFile.load(onnx, TinyNetworks.EIGHT_BY_EIGHT, manager)) {
        assertEquals(net.summary(), a.summary());
        assertEquals(net.summary(), b.summary());
      }
    }
    Path text = Files.writeString(dir.resolve("model.txt"), "not a model");
    IOException e = assertThrows(IOException.class, () -> ModelFile.load(text, manager));
    assertTrue(e.getMessage().contains(text.toString()) && e.getMessage().contains("neither"),
        e.getMessage());
    Path missing = dir.resolve("missing.ckpt");
    assertEquals(missing.toString(), assertThrows(NoSuchFileException.class,
        () -> ModelFile.load(missing, manager)).getFile());
  }

  /** A model whose input shape or class count differs from the data's is refused, naming both. */
  @Test
  void modelThatDoesNotFitTheDataIsRefused() throws IOException {
    Path checkpoint = dir.resolve("fc.ckpt");
    Path onnx = dir.resolve("fc.onnx");
    try (Network net = TinyNetworks.fc(manager, 2)) {
      Checkpoint.save(checkpoint, net, Map.of(), null);
      OnnxExporter.write(net, onnx);
    }
    InputFormat otherShape = TinyNetworks.EIGHT_BY_EIGHT;
    InputFormat otherClasses = new InputFormat(1, 2, 2, new float[] {0}, new float[] {1}, 10);
    for (Path file : new Path[] {checkpoint, onnx}) {
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> ModelFile.load(file, otherShape, manager));
      assertTrue(shape.getMessage().contains(file.toString())
          && shape.getMessage().contains("1x2x2") && shape.getMessage().contains("1x8x8"),
          shape.getMessage());
      IllegalArgumentException classes = assertThrows(IllegalArgumentException.class,
          () -> ModelFile.load(file, otherClasses, manager));
      assertTrue(classes.getMessage().contains("3 outputs")
          && classes.getMessage().contains("10 classes"), classes.getMessage());
      try (Network fits = ModelFile.load(file, TinyNetworks.FOUR_PIXELS, manager)) {
        assertEquals(3, fits.numClasses());
      }
    }
  }
}
