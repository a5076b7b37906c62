package org.certkit.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.certkit.data.DatasetName;
import org.certkit.data.FakeMnist;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.io.vnnlib.VnnlibWriter;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example runs to its end on real files: an exported ONNX model, a VNNLIB property. */
class ExamplesTest {

  @TempDir Path dir;

  @Test
  void examplesRunOnExportedModelsAndProperties() throws Exception {
    Path data = dir.resolve("data");
    FakeMnist.write(data);
    Path onnx = dir.resolve("fc.onnx");
    try (NDManager manager = NDManager.newBaseManager();
        Network network = Architectures.build(new Architectures.Spec("fc", 1, new int[] {16}),
            DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, 3, manager)) {
      OnnxExporter.write(network, onnx);
    }
    double[] lower = new double[784];
    double[] upper = new double[784];
    java.util.Arrays.fill(upper, 0.01);
    Path property = dir.resolve("prop.vnnlib");
    VnnlibWriter.writeRobustness(property, lower, upper, 10, 0);

    String certify = output(() -> CertifyOnnxModel.main(new String[] {onnx.toString(), "0.01",
        data.toString()}));
    assertTrue(certify.matches("(?s)certified \\d+ of 100 at eps 0.01\\s*"), certify);
    Path checkpoint = dir.resolve("sabr.ckpt");
    String train = output(() -> TrainWithConfig.main(new String[] {checkpoint.toString(), "64",
        data.toString()}));
    assertTrue(train.startsWith("trained ") && Files.size(checkpoint) > 0, train);
    String verify = output(() -> VerifyProperty.main(new String[] {onnx.toString(),
        property.toString(), "10"}));
    assertTrue(verify.matches("(?s)(Certified|Falsified|Unknown|Timeout).* by .* ms .*"),
        verify);
  }

  /** A program's main, run with standard output captured. */
  private interface Program {
    void run() throws Exception;
  }

  private static String output(Program program) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      program.run();
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
