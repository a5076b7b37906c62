package org.certkit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.certkit.data.Augmentation;
import org.certkit.data.DatasetName;
import org.certkit.data.FakeMnist;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.net.Architectures;
import org.certkit.net.BatchNorm;
import org.certkit.net.Initialization;
import org.certkit.net.Layer;
import org.certkit.net.Network;
import org.certkit.train.IbpTraining;
import org.certkit.train.LearningRateSchedule;
import org.certkit.train.TrainingConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertkitCommandTest {

  /** A data root with a full-size, all-zero MNIST (gzip IDX), so that no fetch is attempted. */
  @TempDir static Path fakeData;

  @TempDir Path dir;

  /** What a run of the command line printed and returned. */
  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void writeFakeMnist() throws IOException {
    FakeMnist.write(fakeData);
  }

  /**
   * A data root that is a regular file: any attempt to load or fetch data fails at once and
   * offline, so a test using it shows whether a command validates its arguments first.
   */
  private Path noData() throws IOException {
    return Files.writeString(dir.resolve("not-a-data-dir"), "this is a file");
  }

  /** {@code train --eps -0.1} fails before touching data or the output directory, naming eps. */
  @Test
  void trainRejectsNegativeEps() throws IOException {
    Path out = dir.resolve("out");
    Run run = run("train", "--eps", "-0.1", "--data-dir", noData().toString(), "--out",
        out.toString());
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--eps") && run.err().contains("-0.1"), run.err());
    assertNoStackTrace(run);
    assertFalse(Files.exists(out), "a rejected command should not create its output directory");
  }

  /** {@code train --weight-decay -1} fails before touching data, naming the option and value. */
  @Test
  void trainRejectsNegativeWeightDecay() throws IOException {
    Path out = dir.resolve("out");
    Run run = run("train", "--weight-decay", "-1", "--data-dir", noData().toString(), "--out",
        out.toString());
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--weight-decay") && run.err().contains("-1"), run.err());
    assertNoStackTrace(run);
    assertFalse(Files.exists(out), "a rejected command should not create its output directory");
  }

  /**
   * {@code train --deterministic} outside the launcher's environment (the tests run without
   * MKL_CBWR) fails before touching data, naming the variables to export.
   */
  @Test
  void deterministicTrainingRefusesAnUnsetEnvironment() throws IOException {
    assumeTrue(System.getenv("MKL_CBWR") == null, "MKL_CBWR is set in this environment");
    Path out = dir.resolve("out");
    Run run = run("train", "--deterministic", "--data-dir", noData().toString(), "--out",
        out.toString());
    assertEquals(2, run.exitCode(), run.toString());
    for (String variable : List.of("MKL_CBWR", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY",
        "OMP_NUM_THREADS", "MKL_NUM_THREADS")) {
      assertTrue(run.err().contains(variable), variable + " not named: " + run.err());
    }
    assertNoStackTrace(run);
    assertFalse(Files.exists(out), "a rejected command should not create its output directory");
  }

  /**
   * {@code train --arch nosuch} fails naming the unknown architecture and listing the known ones,
   * without needing any data.
   */
  @Test
  void trainRejectsUnknownArchitectureWithoutData() throws IOException {
    Run run = run("train", "--arch", "nosuch", "--data-dir", noData().toString(), "--out",
        dir.resolve("out").toString());
    assertUnknownArchitecture(run);
  }

  /**
   * {@code train --config run.json} trains with the file's hyper-parameters: metrics.json records
   * a config equal to the file's, and that recorded config, fed back to {@code --config}, trains
   * again to bit-identical losses and gradient norms.
   */
  @Test
  void trainWithConfigFileRecordsItAndReproduces() throws IOException {
    TrainingConfig config = new TrainingConfig(new IbpTraining(0.5, 0.25), 0.05, 2, 32,
        new LearningRateSchedule(1e-3, new int[] {1}, 0.5), 0, 1, 10.0, 3,
        Initialization.DEFAULT, Augmentation.NONE, 1e-4);
    Path file = dir.resolve("run.json");
    Json.write(file, config);
    JsonNode first = trainWithConfig(file, dir.resolve("first"));
    assertEquals(config, Json.MAPPER.treeToValue(first.get("config"), TrainingConfig.class));
    assertEquals("ibp", first.get("config").get("method").get("type").asText());
    assertTrue(Files.exists(dir.resolve("first").resolve("model.ckpt")));

    Path recorded = dir.resolve("recorded.json");
    Json.write(recorded, first.get("config"));
    JsonNode second = trainWithConfig(recorded, dir.resolve("second"));
    JsonNode a = first.get("training").get("history");
    JsonNode b = second.get("training").get("history");
    assertEquals(2, a.size(), a.toString());
    for (int e = 0; e < 2; e++) {
      for (String field : List.of("loss", "gradientNorm", "eps", "learningRate")) {
        double v = a.get(e).get(field).asDouble();
        assertTrue(Double.isFinite(v), field + " " + v);
        assertEquals(v, b.get(e).get(field).asDouble(), 0.0, "epoch " + e + " " + field);
      }
    }
  }

  private JsonNode trainWithConfig(Path config, Path out) throws IOException {
    Run run = run("train", "--config", config.toString(), "--data-dir", fakeData.toString(),
        "--arch", "fc", "--hidden", "8", "--train-samples", "64", "--eval-samples", "16",
        "--out", out.toString());
    assertEquals(0, run.exitCode(), run.toString());
    return new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
  }

  /**
   * Hyper-parameter options given with {@code --config} are rejected, each named, before any data
   * or output directory is touched; data and output options are accepted beside it.
   */
  @Test
  void trainRejectsHyperParametersBesideConfig() throws IOException {
    Path file = dir.resolve("run.json");
    Json.write(file, TrainingConfig.mnist(IbpTraining.shi(), 0.1, 1, 0));
    Path out = dir.resolve("out");
    Run run = run("train", "--config", file.toString(), "--eps", "0.2", "--pgd-steps", "3",
        "--data-dir", noData().toString(), "--out", out.toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--eps") && run.err().contains("--pgd-steps")
        && run.err().contains("--config"), run.err());
    assertNoStackTrace(run);
    assertFalse(Files.exists(out), "a rejected command should not create its output directory");
  }

  /**
   * A config in the shape of earlier metrics files (the method an enum name) is rejected with a
   * message naming the file and the method field, without a stack trace.
   */
  @Test
  void trainRejectsConfigOfEarlierShape() throws IOException {
    Path file = Files.writeString(dir.resolve("old.json"), """
        {"method": "IBP", "eps": 0.1, "epochs": 1, "batchSize": 256}""");
    Run run = run("train", "--config", file.toString(), "--data-dir", noData().toString(),
        "--out", dir.resolve("out").toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(file.toString()) && run.err().contains("method"), run.err());
    assertNoStackTrace(run);
  }

  /** With data present, {@code train --arch nosuch} names it and lists the known architectures. */
  @Test
  void trainRejectsUnknownArchitecture() {
    Run run = run("train", "--arch", "nosuch", "--data-dir", fakeData.toString(), "--out",
        dir.resolve("out").toString(), "--eval-samples", "0");
    assertUnknownArchitecture(run);
  }

  /**
   * A command given a data directory with a truncated file fails naming it and leaves it as it
   * was, instead of fetching a replacement.
   */
  @Test
  void truncatedDataFileIsNamedAndLeftAlone() throws IOException {
    Path mnist = Files.createDirectories(dir.resolve("data").resolve("mnist"));
    FakeMnist.writeIdx(mnist.resolve("train-images-idx3-ubyte.gz"), 60_000, true);
    FakeMnist.writeIdx(mnist.resolve("train-labels-idx1-ubyte.gz"), 60_000, false);
    FakeMnist.writeIdx(mnist.resolve("t10k-labels-idx1-ubyte.gz"), 10_000, false);
    // The header of 10000 images, then the pixels of one.
    byte[] truncated = ByteBuffer.allocate(16 + 784).putInt(0x803).putInt(10_000).putInt(28)
        .putInt(28).array();
    Path user = Files.write(mnist.resolve("t10k-images-idx3-ubyte"), truncated);
    FileTime past = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(user, past);

    Run run = run("train", "--data-dir", dir.resolve("data").toString(), "--epochs", "1",
        "--out", dir.resolve("out").toString());

    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains(user + ": truncated") && run.err().contains("move " + user),
        run.err());
    assertNoStackTrace(run);
    assertTrue(Arrays.equals(truncated, Files.readAllBytes(user)), "bytes changed");
    assertEquals(past, Files.getLastModifiedTime(user), "the file was rewritten");
    try (var files = Files.list(mnist)) {
      assertEquals(4, files.count(), "nothing was added or removed");
    }
  }

  /**
   * {@code eval --model /nonexistent/model.ckpt} fails with a message containing the path and no
   * stack trace, without needing any data.
   */
  @Test
  void evalReportsMissingModelWithoutData() throws IOException {
    Run run = run("eval", "--model", "/nonexistent/model.ckpt", "--data-dir",
        noData().toString());
    assertMissingModel(run);
  }

  /** With data present, {@code eval} of a missing model names the path, without a stack trace. */
  @Test
  void evalReportsMissingModel() {
    Run run = run("eval", "--model", "/nonexistent/model.ckpt", "--data-dir",
        fakeData.toString());
    assertMissingModel(run);
  }

  /**
   * {@code export} writes an ONNX file that {@code certify}, {@code bounds} and {@code tightness}
   * read with the same results, bound for bound, as from the checkpoint it came from.
   */
  @Test
  void exportedOnnxGivesTheSameResultsAsTheCheckpoint() throws IOException {
    Path checkpoint = dir.resolve("model.ckpt");
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(Architectures.Spec.of("cnn3-bn"),
            DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, 5, manager)) {
      for (Layer layer : net.layers()) {
        if (layer instanceof BatchNorm b) {
          b.runningMean().set(manager.randomUniform(-0.2f, 0.2f, b.runningMean().getShape())
              .toFloatArray());
          b.runningVar().set(manager.randomUniform(0.5f, 2, b.runningVar().getShape())
              .toFloatArray());
        }
      }
      Checkpoint.save(checkpoint, net, Map.of(), null);
    }
    Path onnx = dir.resolve("exported").resolve("model.onnx");
    Run export = run("export", "--model", checkpoint.toString(), "--onnx", onnx.toString());
    assertEquals(0, export.exitCode(), export.toString());
    assertTrue(export.out().contains(onnx.toString()) && export.out().contains("[N, 1, 28, 28]")
        && export.out().contains("[N, 10] logits"), export.out());
    assertTrue(Files.size(onnx) > 0);
    List<List<String>> commands = List.of(
        List.of("certify", "--n", "20", "--eps", "0.02"),
        List.of("bounds", "--n", "3", "--eps", "0.05"),
        List.of("tightness", "--n", "10", "--png", dir.resolve("t.png").toString()));
    for (List<String> command : commands) {
      List<JsonNode> results = new java.util.ArrayList<>();
      for (Path model : List.of(checkpoint, onnx)) {
        Path json = dir.resolve(command.getFirst() + "-" + model.getFileName() + ".json");
        List<String> args = new java.util.ArrayList<>(command);
        args.addAll(List.of("--model", model.toString(), "--data-dir", fakeData.toString(),
            "--json", json.toString()));
        Run run = run(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), args + ": " + run);
        ObjectNode result = (ObjectNode) new ObjectMapper().readTree(json.toFile());
        result.remove(List.of("seconds", "model"));
        results.add(result);
      }
      assertEquals(results.get(0), results.get(1), command.getFirst());
    }
  }

  /**
   * {@code certify --method auto --per-example FILE} writes one row per example, in order; a row
   * is certified exactly when its lowest margin bound is positive, and names a method of the
   * cascade; the certified count matches the summary.
   */
  @Test
  void perExampleRowsMatchTheSummary() throws IOException {
    Path checkpoint = savedFc("cascade.ckpt", 3);
    Path csv = dir.resolve("rows.csv");
    Path json = dir.resolve("cascade.json");
    Run run = run("certify", "--method", "auto", "--n", "12", "--eps", "0.001", "--model",
        checkpoint.toString(), "--data-dir", fakeData.toString(), "--per-example",
        csv.toString(), "--json", json.toString());
    assertEquals(0, run.exitCode(), run.toString());
    List<String> lines = Files.readAllLines(csv);
    assertEquals("index,label,correct,pgd_survives,verdict,method,lowest_margin_bound,seconds",
        lines.getFirst());
    assertEquals(13, lines.size());
    int certified = 0;
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",", -1);
      assertEquals(Integer.toString(i - 1), f[0]);
      assertTrue(List.of("ibp", "crown-ibp", "crown", "alpha-crown").contains(f[5]), f[5]);
      boolean positive = Double.parseDouble(f[6]) > 0;
      assertEquals(positive, f[4].equals("certified"), lines.get(i));
      certified += positive ? 1 : 0;
    }
    double accuracy = new ObjectMapper().readTree(json.toFile()).get("certifiedAccuracy")
        .asDouble();
    assertEquals(certified / 12.0, accuracy, 1e-12);
  }

  /** An untrained MNIST {@code fc} network saved as {@code name} in the test directory. */
  private Path savedFc(String name, long seed) throws IOException {
    Path checkpoint = dir.resolve(name);
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(Architectures.Spec.of("fc"),
            DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, seed, manager)) {
      Checkpoint.save(checkpoint, net, Map.of(), null);
    }
    return checkpoint;
  }

  /** {@code --indices} names single images and inclusive ranges, and refuses anything else. */
  @Test
  void indicesListsAndRanges() {
    assertArrayEquals(new int[] {3, 17, 100, 101, 102},
        EvaluationOptions.parseIndices("3, 17,100-102"));
    for (String bad : List.of("x", "5-3", "-2", "1,,2")) {
      assertThrows(IllegalArgumentException.class, () -> EvaluationOptions.parseIndices(bad),
          bad);
    }
  }

  /** The rows of {@code --indices} carry the images' own indices. */
  @Test
  void perExampleRowsOfChosenIndices() throws IOException {
    Path checkpoint = savedFc("chosen.ckpt", 4);
    Path csv = dir.resolve("chosen.csv");
    Run run = run("certify", "--indices", "5,2-3", "--eps", "0.001", "--model",
        checkpoint.toString(), "--data-dir", fakeData.toString(), "--per-example",
        csv.toString());
    assertEquals(0, run.exitCode(), run.toString());
    List<String> lines = Files.readAllLines(csv);
    assertEquals(List.of("5", "2", "3"), lines.subList(1, lines.size()).stream()
        .map(l -> l.split(",")[0]).toList());
  }

  /**
   * An ONNX model for CIFAR-10 images run on MNIST is refused naming both shapes, before any
   * data is read.
   */
  @Test
  void onnxModelForOtherImagesIsRefusedBeforeReadingData() throws IOException {
    Path onnx = dir.resolve("cifar.onnx");
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(Architectures.Spec.of("cnn3"),
            DatasetName.CIFAR10.inputFormat(), Initialization.DEFAULT, 1, manager)) {
      OnnxExporter.write(net, onnx);
    }
    Run run = run("certify", "--model", onnx.toString(), "--data", "mnist", "--data-dir",
        noData().toString());
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains(onnx.toString()) && run.err().contains("3x32x32")
        && run.err().contains("1x28x28"), run.err());
    assertNoStackTrace(run);
  }

  /**
   * {@code --help} of the root command and of every subcommand prints usage and exits 0, and
   * picocli finds nothing to warn about (a lone {@code %} in a description is one).
   */
  @Test
  void helpOfEverySubcommandExitsZero() {
    CommandLine root = CertkitCommand.commandLine();
    List<List<String>> commands = new java.util.ArrayList<>();
    commands.add(List.of());
    collect(root, List.of(), commands);
    assertTrue(commands.containsAll(List.of(List.of("quickstart"), List.of("train"),
        List.of("eval"), List.of("certify"), List.of("attack"), List.of("tightness"),
        List.of("export"), List.of("properties"),
        List.of("data"), List.of("data", "fetch"), List.of("bench"))), commands.toString());
    PrintStream stderr = System.err;
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    for (List<String> command : commands) {
      String[] args = java.util.stream.Stream.concat(command.stream(), java.util.stream.Stream.of(
          "--help")).toArray(String[]::new);
      Run run;
      // picocli reports formatting problems on System.err, not on the command's writer.
      System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
      try {
        run = run(args);
      } finally {
        System.setErr(stderr);
      }
      assertEquals(0, run.exitCode(), String.join(" ", args) + ": " + run);
      assertTrue(run.out().contains("Usage:"), String.join(" ", args) + ": " + run.out());
      assertNoStackTrace(run);
      String warned = warnings.toString(StandardCharsets.UTF_8);
      assertFalse(warned.contains("picocli WARN"), String.join(" ", args) + ": " + warned);
    }
    Run help = run("help", "train");
    assertEquals(0, help.exitCode(), help.toString());
    assertTrue(help.out().contains("--eps"), help.out());
  }

  /** Every long command takes {@code --quiet}, which turns its progress bar off. */
  @Test
  void everyLongCommandTakesQuiet() {
    for (List<String> path : List.of(List.of("quickstart"), List.of("train"), List.of("eval"),
        List.of("certify"), List.of("attack"), List.of("tightness"), List.of("bounds"),
        List.of("verify"), List.of("bench"), List.of("experiment", "run"),
        List.of("spark", "certify"), List.of("spark", "verify"), List.of("properties"))) {
      CommandLine command = CertkitCommand.commandLine();
      for (String name : path) {
        command = command.getSubcommands().get(name);
      }
      assertTrue(command.getCommandSpec().findOption("--quiet") != null, path.toString());
    }
  }

  /** The help of {@code train} names every architecture the library can build. */
  @Test
  void trainHelpListsEveryArchitecture() {
    Run help = run("train", "--help");
    for (String name : org.certkit.net.Architectures.NAMES) {
      assertTrue(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(name) + "[,\\s]")
          .matcher(help.out()).find(), name + " missing from: " + help.out());
    }
  }

  /** Adds the path of every subcommand below {@code parent} (except {@code help}). */
  private static void collect(CommandLine parent, List<String> path, List<List<String>> out) {
    for (var e : parent.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      List<String> child = new java.util.ArrayList<>(path);
      child.add(e.getKey());
      out.add(child);
      collect(e.getValue(), child, out);
    }
  }

  private static void assertUnknownArchitecture(Run run) {
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains("nosuch"), run.err());
    for (String known : Architectures.NAMES) {
      assertTrue(run.err().contains(known), "should list " + known + ": " + run.err());
    }
    assertNoStackTrace(run);
  }

  private static void assertMissingModel(Run run) {
    assertNotEquals(0, run.exitCode(), run.toString());
    assertTrue(run.err().contains("/nonexistent/model.ckpt"), run.err());
    assertNoStackTrace(run);
  }

  static void assertNoStackTrace(Run run) {
    assertFalse(run.err().contains("\tat "), "stack trace printed: " + run.err());
    assertFalse(run.out().contains("\tat "), "stack trace printed: " + run.out());
  }

  /** Runs the command line on {@code args}, capturing what it prints. */
  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = CertkitCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
