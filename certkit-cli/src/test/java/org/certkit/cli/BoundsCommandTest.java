package org.certkit.cli;

import static org.certkit.cli.CertkitCommandTest.assertNoStackTrace;
import static org.certkit.cli.CertkitCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.cli.CertkitCommandTest.Run;
import org.certkit.data.DatasetName;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.reference.ReferenceBounds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bounds --inputs FILE.json}: bounds of the points of a file, checked against the bounds
 * auto_LiRPA computed for the same points ({@link ReferenceBounds}).
 */
class BoundsCommandTest {

  @TempDir Path dir;

  /**
   * CROWN and IBP bounds of the 8 reference inputs, given as a bare array, equal auto_LiRPA's on
   * {@code fc.onnx} to 1e-4 relative, and each example names the class the reference logits
   * predict.
   */
  @Test
  void crownAndIbpOfBareArrayMatchAutoLirpa() throws IOException {
    Path model = resource("fc.onnx");
    Path inputs = dir.resolve("inputs.json");
    Json.write(inputs, referenceRoot().get("input"));
    for (String method : List.of("crown", "ibp")) {
      JsonNode examples = bounds(model, inputs, method);
      assertMatches(examples, "fc", method + "_logit_bounds");
    }
  }

  /**
   * The reference file itself, an object whose {@code input} field holds the points, gives the
   * CROWN bounds of auto_LiRPA on the convolutional {@code cnn3.onnx}.
   */
  @Test
  void crownOfInputFieldMatchesAutoLirpaOnCnn() throws IOException {
    JsonNode examples = bounds(resource("cnn3.onnx"), resource("reference_bounds.json"), "crown");
    assertMatches(examples, "cnn3", "crown_logit_bounds");
  }

  /**
   * With {@code --arithmetic float32} the CROWN bounds of {@code cnn3.onnx} hold auto_LiRPA's
   * CROWN bounds (up to its own float32 rounding, 1e-4 relative) and are on average at most 2%
   * wider: the float32 allowances cost little.
   */
  @Test
  void float32CrownHoldsAutoLirpasBoundsOnCnn() throws IOException {
    JsonNode examples = bounds(resource("cnn3.onnx"), resource("reference_bounds.json"), "crown",
        "--arithmetic", "float32");
    double[][] lower = ReferenceBounds.matrix("cnn3", "crown_logit_bounds/lower");
    double[][] upper = ReferenceBounds.matrix("cnn3", "crown_logit_bounds/upper");
    double width = 0;
    double referenceWidth = 0;
    for (int i = 0; i < lower.length; i++) {
      for (int k = 0; k < lower[i].length; k++) {
        double lo = examples.get(i).get("lower").get(k).asDouble();
        double hi = examples.get(i).get("upper").get(k).asDouble();
        String where = "example " + i + ", logit " + k;
        assertTrue(lo <= lower[i][k] + 1e-4 * Math.abs(lower[i][k]), where + ": lower " + lo);
        assertTrue(hi >= upper[i][k] - 1e-4 * Math.abs(upper[i][k]), where + ": upper " + hi);
        width += hi - lo;
        referenceWidth += upper[i][k] - lower[i][k];
      }
    }
    assertTrue(width <= 1.02 * referenceWidth, "mean width " + width + " against "
        + referenceWidth);
  }

  /**
   * Every method bounds the points of a file; the sound ones hold the clean logits of each
   * point, computed here.
   */
  @Test
  void everyMethodTakesInputs() throws IOException {
    Path checkpoint = dir.resolve("small.ckpt");
    double[][] logits;
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(new Architectures.Spec("fc", 1, new int[] {8}),
            DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, 7, manager)) {
      Checkpoint.save(checkpoint, net, Map.of(), null);
      logits = rows(ConcreteDomain.forward(net, ReferenceBounds.inputs(manager).get("0:2")
          .toType(DataType.FLOAT64, false), BatchStatistics.evaluation()).toDoubleArray(), 10);
    }
    Path inputs = dir.resolve("two.json");
    Json.write(inputs, List.of(referenceRoot().get("input").get(0),
        referenceRoot().get("input").get(1)));
    for (BoundsCommand.Method method : BoundsCommand.Method.values()) {
      String name = method.name().toLowerCase(Locale.ROOT).replace('_', '-');
      Path json = dir.resolve(name + ".json");
      Run run = run("bounds", "--model", checkpoint.toString(), "--inputs", inputs.toString(),
          "--method", name, "--eps", "0.01", "--time-limit", "10", "--json", json.toString());
      assertEquals(0, run.exitCode(), name + ": " + run);
      JsonNode examples = Json.MAPPER.readTree(json.toFile()).get("examples");
      assertEquals(2, examples.size(), name);
      for (int i = 0; i < 2; i++) {
        JsonNode example = examples.get(i);
        assertEquals(argMax(logits[i]), example.get("predicted").asInt(), name);
        for (int k = 0; k < 10; k++) {
          double lower = example.get("lower").get(k).asDouble();
          double upper = example.get("upper").get(k).asDouble();
          assertTrue(lower <= upper, name + " " + i + " " + k);
          if (method != BoundsCommand.Method.EXPECTED) {
            assertTrue(lower <= logits[i][k] + 1e-6 && logits[i][k] - 1e-6 <= upper,
                name + " example " + i + " logit " + k + ": " + logits[i][k] + " not in ["
                    + lower + ", " + upper + "]");
          }
        }
      }
    }
  }

  /** Inputs of another shape than the model's are refused naming the file and both shapes. */
  @Test
  void wrongShapeIsRefusedNamingBothShapes() throws IOException {
    Path inputs = Files.writeString(dir.resolve("flat.json"), "[[0.5, 0.5], [0.1, 0.2]]");
    Run run = run("bounds", "--model", resource("fc.onnx").toString(), "--inputs",
        inputs.toString(), "--method", "crown");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(inputs.toString()) && run.err().contains("[N, 1, 28, 28]")
        && run.err().contains("[2, 2]"), run.err());
    assertNoStackTrace(run);
  }

  /** A file that is not JSON is refused naming it. */
  @Test
  void malformedJsonIsRefusedNamingTheFile() throws IOException {
    Path inputs = Files.writeString(dir.resolve("broken.json"), "[[[[0.5, 0.5,");
    Run run = run("bounds", "--model", resource("fc.onnx").toString(), "--inputs",
        inputs.toString(), "--method", "ibp");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(inputs.toString()) && run.err().contains("not valid JSON"),
        run.err());
    assertNoStackTrace(run);
  }

  /** {@code --inputs} beside the dataset options is refused naming them, before any model. */
  @Test
  void inputsExcludeDatasetOptions() {
    Run run = run("bounds", "--model", "/nonexistent/model.onnx", "--inputs", "points.json",
        "--n", "3", "--data-dir", "/nonexistent");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--data-dir, --n cannot be combined with --inputs"), run.err());
    assertNoStackTrace(run);
  }

  /**
   * Runs {@code bounds --method method} (and {@code more} options) on the points of
   * {@code inputs}; their examples.
   */
  private JsonNode bounds(Path model, Path inputs, String method, String... more)
      throws IOException {
    Path json = dir.resolve(method + "-" + model.getFileName() + more.length + ".json");
    List<String> args = new java.util.ArrayList<>(List.of("bounds", "--model", model.toString(),
        "--inputs", inputs.toString(), "--method", method, "--eps",
        Double.toString(ReferenceBounds.eps()), "--json", json.toString()));
    args.addAll(List.of(more));
    Run run = run(args.toArray(String[]::new));
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode result = Json.MAPPER.readTree(json.toFile());
    assertEquals(inputs.toString(), result.get("inputs").asText());
    return result.get("examples");
  }

  /**
   * The bounds of {@code examples} equal the reference's {@code entry} of {@code model} to 1e-4
   * relative, and each example's predicted class is that of the reference logits.
   */
  private static void assertMatches(JsonNode examples, String model, String entry) {
    double[][] lower = ReferenceBounds.matrix(model, entry + "/lower");
    double[][] upper = ReferenceBounds.matrix(model, entry + "/upper");
    double[][] logits = ReferenceBounds.matrix(model, "logits");
    assertEquals(lower.length, examples.size());
    for (int i = 0; i < lower.length; i++) {
      JsonNode example = examples.get(i);
      assertEquals(argMax(logits[i]), example.get("predicted").asInt(), "example " + i);
      for (int k = 0; k < lower[i].length; k++) {
        assertClose(lower[i][k], example.get("lower").get(k).asDouble(), entry, i, k);
        assertClose(upper[i][k], example.get("upper").get(k).asDouble(), entry, i, k);
      }
    }
  }

  private static void assertClose(double expected, double actual, String entry, int i, int k) {
    assertEquals(expected, actual, 1e-4 * Math.abs(expected),
        entry + " of example " + i + ", logit " + k);
  }

  private static int argMax(double[] values) {
    int best = 0;
    for (int k = 1; k < values.length; k++) {
      best = values[k] > values[best] ? k : best;
    }
    return best;
  }

  private static double[][] rows(double[] flat, int width) {
    double[][] out = new double[flat.length / width][];
    for (int i = 0; i < out.length; i++) {
      out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }
    return out;
  }

  private static JsonNode referenceRoot() throws IOException {
    try (InputStream in = BoundsCommandTest.class.getResourceAsStream(
        "/reference/reference_bounds.json")) {
      return Json.MAPPER.readTree(in);
    }
  }

  /** The reference file {@code name}, copied into the test directory. */
  private Path resource(String name) throws IOException {
    Path file = dir.resolve(name);
    if (!Files.exists(file)) {
      try (InputStream in = BoundsCommandTest.class.getResourceAsStream("/reference/" + name)) {
        Files.copy(in, file);
      }
    }
    return file;
  }
}
