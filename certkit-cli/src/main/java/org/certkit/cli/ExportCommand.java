package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.certkit.io.ModelFile;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code certkit export}: a model as an ONNX file. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Writes a model as ONNX (opset " + OnnxExporter.OPSET + ") for ONNX Runtime,"
        + " PyTorch or verifiers such as those of VNN-COMP.",
        "The ONNX model takes pixels in [0, 1] as float32 [N, C, H, W] (its first nodes, Sub and"
            + " Div, normalise them) and returns logits [N, classes]. Every certkit command"
            + " reads it back with --model FILE.onnx."})
final class ExportCommand implements Callable<Integer> {

  @Option(names = "--model", required = true,
      description = "A certkit checkpoint (model.ckpt); an ONNX model is rewritten in certkit's"
          + " form.")
  Path model;

  @Option(names = "--onnx", required = true, description = "The ONNX file to write.")
  Path onnx;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try (NDManager manager = NDManager.newBaseManager();
        Network network = ModelFile.load(model, manager)) {
      OnnxExporter.write(network, onnx);
      String input = network.inputShape().toString().replace("(", "[N, ").replace(")", "]");
      String output = network.layers().getLast() instanceof Linear last
          ? "[N, " + last.outFeatures() + "] logits" : "the last layer's values";
      PrintWriter out = spec.commandLine().getOut();
      out.printf("wrote %s: %s, %d parameters; input %s float32 %s, output %s%n", onnx,
          network.architecture(), network.parameterCount(), input,
          network.layers().getFirst() instanceof Normalize
              ? "pixels in [0, 1] (normalised inside the model)" : "values as the model expects",
          output);
      out.printf("use it with: certkit certify --model %s --data DATASET%n", onnx);
    }
    return 0;
  }
}
