package org.certkit.cli;

import static org.certkit.cli.CertkitCommandTest.assertNoStackTrace;
import static org.certkit.cli.CertkitCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.certkit.cli.CertkitCommandTest.Run;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.Checkpoint;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.io.vnnlib.Disjunct;
import org.certkit.io.vnnlib.OutputClause;
import org.certkit.io.vnnlib.OutputConstraint;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code properties}: the VNNLIB files of a small MNIST network read back to the float32 boxes
 * around its test images, misclassified images are skipped, {@code instances.csv} is appended to,
 * and nothing a user has is overwritten.
 */
class PropertiesCommandTest {

  private static final int PIXELS = 28 * 28;

  /** Test images with random pixels; the others are all zero. */
  private static final int RANDOM_IMAGES = 6;

  /**
   * A data root with a full-size MNIST whose first test images have random pixels, labelled so
   * that the model of {@link #checkpoint} classifies the even ones correctly and the odd ones not.
   */
  @TempDir static Path data;

  @TempDir Path dir;

  private static byte[] testPixels;

  private static byte[] testLabels;

  private static byte[] onnx;

  @BeforeAll
  static void writeData() throws IOException {
    byte[] random = new byte[RANDOM_IMAGES * PIXELS];
    new Random(3).nextBytes(random);
    testPixels = new byte[10_000 * PIXELS];
    System.arraycopy(random, 0, testPixels, 0, random.length);
    byte[] predicted;
    try (NDManager manager = NDManager.newBaseManager();
        Network net = fc(7, manager)) {
      Checkpoint.save(data.resolve("model.ckpt"), net, Map.of(), null);
      onnx = OnnxExporter.toBytes(net);
      ImageDataset test = new ImageDataset("test", 1, 28, 28, 10, testPixels, new byte[10_000]);
      int[] first = IntStream.range(0, RANDOM_IMAGES).toArray();
      long[] classes = ConcreteDomain.forward(net, test.images(manager, first),
          BatchStatistics.evaluation()).argMax(1).toType(DataType.INT64, false).toLongArray();
      predicted = new byte[classes.length];
      for (int i = 0; i < classes.length; i++) {
        predicted[i] = (byte) classes[i];
      }
    }
    testLabels = new byte[10_000];
    for (int i = 0; i < RANDOM_IMAGES; i++) {
      testLabels[i] = (byte) (i % 2 == 0 ? predicted[i] : (predicted[i] + 1) % 10);
    }
    Path mnist = Files.createDirectories(data.resolve("mnist"));
    writeIdx(mnist.resolve("train-images-idx3-ubyte.gz"), 60_000, new byte[60_000 * PIXELS]);
    writeIdx(mnist.resolve("train-labels-idx1-ubyte.gz"), 60_000, new byte[60_000]);
    writeIdx(mnist.resolve("t10k-images-idx3-ubyte.gz"), 10_000, testPixels);
    writeIdx(mnist.resolve("t10k-labels-idx1-ubyte.gz"), 10_000, testLabels);
  }

  /**
   * The first 3 correctly classified images (0, 2, 4) get properties that read back to the
   * float32 box of radius eps clipped to [0, 1] and the unsafe outputs of their labels; the
   * exported model and instances.csv are written, and a second run with other images appends.
   */
  @Test
  void propertiesReadBackToTheFloatBoxesAndAppendToInstances() throws IOException {
    Path out = dir.resolve("bench");
    Run first = properties(data.resolve("model.ckpt"), out, "--eps", "0.05", "--n", "3",
        "--timeout", "60");
    assertEquals(0, first.exitCode(), first.toString());
    assertTrue(first.out().contains("skipped 2 misclassified test images: [1, 3]"), first.out());
    assertArrayEquals(onnx, Files.readAllBytes(out.resolve("onnx/tiny.onnx")));
    for (int index : new int[] {0, 2, 4}) {
      assertProperty(out.resolve("vnnlib/tiny_idx" + index + "_eps0.05.vnnlib"), index, 0.05);
    }

    Run second = properties(data.resolve("model.ckpt"), out, "--eps", "2/255", "--indices",
        "1-2", "--all", "--timeout", "30");
    assertEquals(0, second.exitCode(), second.toString());
    assertProperty(out.resolve("vnnlib/tiny_idx1_eps2_255.vnnlib"), 1, 2.0 / 255);
    assertEquals(List.of(
        "onnx/tiny.onnx,vnnlib/tiny_idx0_eps0.05.vnnlib,60",
        "onnx/tiny.onnx,vnnlib/tiny_idx2_eps0.05.vnnlib,60",
        "onnx/tiny.onnx,vnnlib/tiny_idx4_eps0.05.vnnlib,60",
        "onnx/tiny.onnx,vnnlib/tiny_idx1_eps2_255.vnnlib,30",
        "onnx/tiny.onnx,vnnlib/tiny_idx2_eps2_255.vnnlib,30"),
        Files.readAllLines(out.resolve("instances.csv")));
  }

  /**
   * A run that would overwrite a property, or put another model under an ONNX name in use, is
   * refused naming the file, and leaves every file as it was.
   */
  @Test
  void existingPropertyOrOtherModelIsRefusedAndNothingChanges() throws IOException {
    Path out = dir.resolve("bench");
    Run first = properties(data.resolve("model.ckpt"), out, "--eps", "0.05", "--n", "2",
        "--timeout", "60");
    assertEquals(0, first.exitCode(), first.toString());
    List<String> instances = Files.readAllLines(out.resolve("instances.csv"));

    Run again = properties(data.resolve("model.ckpt"), out, "--eps", "0.05", "--n", "3",
        "--timeout", "60");
    assertEquals(2, again.exitCode(), again.toString());
    assertTrue(again.err().contains(out.resolve("vnnlib/tiny_idx0_eps0.05.vnnlib").toString()),
        again.err());
    assertNoStackTrace(again);
    assertTrue(Files.notExists(out.resolve("vnnlib/tiny_idx4_eps0.05.vnnlib")));

    Path other = dir.resolve("other.ckpt");
    try (NDManager manager = NDManager.newBaseManager();
        Network net = fc(8, manager)) {
      Checkpoint.save(other, net, Map.of(), null);
    }
    Run clash = properties(other, out, "--eps", "0.1", "--n", "1", "--timeout", "60");
    assertEquals(2, clash.exitCode(), clash.toString());
    assertTrue(clash.err().contains(out.resolve("onnx/tiny.onnx").toString())
        && clash.err().contains("another model"), clash.err());
    assertNoStackTrace(clash);
    assertArrayEquals(onnx, Files.readAllBytes(out.resolve("onnx/tiny.onnx")));
    assertEquals(instances, Files.readAllLines(out.resolve("instances.csv")));
    try (Stream<Path> files = Files.list(out.resolve("vnnlib"))) {
      assertEquals(2, files.count());
    }
  }

  /**
   * The property of test image {@code index} in {@code file}: its box is the image's float32
   * pixels minus and plus {@code eps}, each rounded to float32 and clipped to [0, 1], and it is
   * unsafe when some other output is at least that of the image's label.
   */
  private static void assertProperty(Path file, int index, double eps) throws IOException {
    double[] lower = new double[PIXELS];
    double[] upper = new double[PIXELS];
    boolean clippedBelow = false;
    boolean clippedAbove = false;
    for (int k = 0; k < PIXELS; k++) {
      float x = (testPixels[index * PIXELS + k] & 0xFF) / 255f;
      lower[k] = Math.max(0f, (float) (x - eps));
      upper[k] = Math.min(1f, (float) (x + eps));
      clippedBelow |= x < eps;
      clippedAbove |= x > 1 - eps;
    }
    assertTrue(clippedBelow && clippedAbove, "the image should reach both clipped ends");
    VnnlibProperty property = VnnlibReader.read(file);
    assertEquals(PIXELS, property.inputs(), file.toString());
    assertEquals(10, property.outputs(), file.toString());
    assertEquals(1, property.disjuncts().size(), file.toString());
    Disjunct disjunct = property.disjuncts().getFirst();
    assertArrayEquals(lower, disjunct.box().lowerOutward(), file.toString());
    assertArrayEquals(upper, disjunct.box().upperOutward(), file.toString());
    int label = testLabels[index];
    List<OutputClause> unsafe = new ArrayList<>();
    for (int k = 0; k < 10; k++) {
      if (k != label) {
        List<BigDecimal> a = new ArrayList<>(Collections.nCopies(10, BigDecimal.ZERO));
        a.set(k, BigDecimal.ONE);
        a.set(label, BigDecimal.ONE.negate());
        unsafe.add(new OutputClause(List.of(new OutputConstraint(a, BigDecimal.ZERO, false))));
      }
    }
    assertEquals(unsafe, disjunct.unsafe(), file.toString());
  }

  /** Runs {@code properties} for {@code model} on the test data into {@code out}. */
  private static Run properties(Path model, Path out, String... options) {
    List<String> args = new ArrayList<>(List.of("properties", "--model", model.toString(),
        "--data-dir", data.toString(), "--out", out.toString(), "--onnx-name", "tiny.onnx"));
    args.addAll(List.of(options));
    return run(args.toArray(String[]::new));
  }

  /** An untrained MNIST {@code fc} network with one hidden layer of 8. */
  private static Network fc(long seed, NDManager manager) {
    return Architectures.build(new Architectures.Spec("fc", 1, new int[] {8}),
        DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, seed, manager);
  }

  /** A gzip IDX file of {@code count} 28x28 images or, with {@code count} bytes, labels. */
  private static void writeIdx(Path file, int count, byte[] body) throws IOException {
    boolean images = body.length != count;
    ByteBuffer header = images
        ? ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(28).putInt(28)
        : ByteBuffer.allocate(8).putInt(0x801).putInt(count);
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
      o.write(header.array());
      o.write(body);
    }
  }
}
