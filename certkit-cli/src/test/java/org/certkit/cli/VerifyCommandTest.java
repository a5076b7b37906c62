package org.certkit.cli;

import static org.certkit.cli.CertkitCommandTest.assertNoStackTrace;
import static org.certkit.cli.CertkitCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.certkit.cli.CertkitCommandTest.Run;
import org.certkit.data.DatasetName;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.io.vnnlib.VnnlibWriter;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} on an ONNX MNIST-shaped network: the one-point box of an input with its own
 * predicted class is unsat; the same box claimed for another class is sat, and the result file's
 * counterexample is that input with the network's outputs; a list of instances gives a results
 * CSV with both answers and an error for a property of the wrong size; an existing result file is
 * left alone.
 */
class VerifyCommandTest {

  @TempDir Path dir;

  @Test
  void answersResultFilesAndInstanceLists() throws Exception {
    Path onnx = dir.resolve("net.onnx");
    float[] x = new float[28 * 28];
    java.util.Random random = new java.util.Random(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat();
    }
    int predicted;
    int other;
    double[] outputs;
    try (NDManager manager = NDManager.newBaseManager();
        Network net = Architectures.build(new Architectures.Spec("fc", 1, new int[] {16}),
            DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, 5, manager)) {
      Files.write(onnx, OnnxExporter.toBytes(net));
      NDArray logits = ConcreteDomain.forward(net, manager.create(x, new Shape(1, 1, 28, 28)),
          BatchStatistics.evaluation());
      predicted = (int) logits.argMax(1).getLong(0);
      outputs = logits.toType(DataType.FLOAT64, false).toDoubleArray();
      other = (predicted + 1) % 10;
    }
    double[] point = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      point[i] = x[i];
    }
    Path robust = dir.resolve("robust.vnnlib");
    Path flipped = dir.resolve("flipped.vnnlib");
    Path wrongSize = dir.resolve("small.vnnlib");
    VnnlibWriter.writeRobustness(robust, point, point, 10, predicted);
    VnnlibWriter.writeRobustness(flipped, point, point, 10, other);
    VnnlibWriter.writeRobustness(wrongSize, new double[] {0}, new double[] {1}, 10, 0);

    Path unsat = dir.resolve("unsat.txt");
    Run first = run("verify", onnx.toString(), robust.toString(), "--timeout", "30",
        "--result", unsat.toString());
    assertEquals(0, first.exitCode(), first.err());
    assertEquals("unsat", Files.readString(unsat).strip());

    Path sat = dir.resolve("sat.txt");
    run("verify", onnx.toString(), flipped.toString(), "--timeout", "30", "--result",
        sat.toString());
    List<String> lines = Files.readAllLines(sat);
    assertEquals("sat", lines.getFirst());
    assertEquals("((X_0 " + point[0] + ")", lines.get(1));
    assertTrue(lines.get(1 + x.length + predicted).startsWith(" (Y_" + predicted + " "
        + outputs[predicted] + ")"), lines.get(1 + x.length + predicted));

    Run again = run("verify", onnx.toString(), robust.toString(), "--result", sat.toString());
    assertEquals("sat", Files.readAllLines(sat).getFirst(), "an existing result file replaced");
    assertTrue(again.exitCode() != 0 || again.err().contains("exists"), again.err());
    assertNoStackTrace(again);

    Path list = dir.resolve("instances.csv");
    Files.writeString(list, "net.onnx,robust.vnnlib,30\nnet.onnx,flipped.vnnlib,30\n"
        + "net.onnx,small.vnnlib,30\n");
    Run all = run("verify", "--instances", list.toString());
    assertEquals(0, all.exitCode(), all.err());
    List<String> rows = Files.readAllLines(dir.resolve("results.csv"));
    assertEquals(4, rows.size(), rows.toString());
    assertTrue(rows.get(1).startsWith("net.onnx,robust.vnnlib,30,unsat,"), rows.get(1));
    assertTrue(rows.get(2).startsWith("net.onnx,flipped.vnnlib,30,sat,"), rows.get(2));
    assertTrue(rows.get(3).startsWith("net.onnx,small.vnnlib,30,error,"), rows.get(3));
    assertTrue(rows.get(3).contains("inputs"), rows.get(3));

    // The typed twin of the CSV, which certkit report reads.
    VerificationResults typed = org.certkit.io.Json.MAPPER.readValue(
        dir.resolve("results.json").toFile(), VerificationResults.class);
    assertEquals(List.of("unsat", "sat", "error"), typed.instances().stream()
        .map(VerificationResults.Instance::result).toList());
    assertEquals(1, typed.answers().get("sat"));
    assertEquals(1, typed.answers().get("unsat"));
    assertEquals(1, typed.answers().get("error"));
    assertEquals("flipped.vnnlib", typed.instances().get(1).vnnlib());
    // Neither file is replaced without --overwrite, not even the JSON alone.
    Files.delete(dir.resolve("results.csv"));
    Run refused = run("verify", "--instances", list.toString());
    assertTrue(refused.exitCode() != 0 && refused.err().contains("results.json"),
        refused.err());
    assertFalse(Files.exists(dir.resolve("results.csv")));

    // A stopped run resumes after the answers it kept (here the first one alone), and answers
    // of another list are refused.
    VerificationResults.Instance answered = typed.instances().getFirst();
    VerificationResults.Instance kept = new VerificationResults.Instance(answered.onnx(),
        answered.vnnlib(), answered.timeout(), "unsat", 123.456, "earlier", 7, "", "");
    org.certkit.io.Json.write(dir.resolve("results.json"), new VerificationResults(
        typed.instanceList(), java.util.Map.of("unsat", 1), kept.seconds(), List.of(kept)));
    Run resumed = run("verify", "--instances", list.toString(), "--resume");
    assertEquals(0, resumed.exitCode(), resumed.err());
    rows = Files.readAllLines(dir.resolve("results.csv"));
    assertEquals(4, rows.size(), rows.toString());
    assertTrue(rows.get(1).startsWith("net.onnx,robust.vnnlib,30,unsat,123.456,earlier,7,"),
        rows.get(1));
    assertTrue(rows.get(2).startsWith("net.onnx,flipped.vnnlib,30,sat,"), rows.get(2));
    assertTrue(rows.get(3).startsWith("net.onnx,small.vnnlib,30,error,"), rows.get(3));
    Path otherList = dir.resolve("other.csv");
    Files.writeString(otherList, "net.onnx,flipped.vnnlib,30\n");
    Run mismatched = run("verify", "--instances", otherList.toString(), "--resume", "--results",
        dir.resolve("results.csv").toString());
    assertTrue(mismatched.exitCode() != 0 && mismatched.err().contains("another list"),
        mismatched.err());
    assertNoStackTrace(mismatched);
  }
}
