package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.certkit.io.ModelFile;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import picocli.CommandLine.Option;

/** The {@code --model} option of the commands that evaluate a model, and how they load it. */
final class ModelFileOptions {

  @Option(names = "--model", required = true,
      description = "A certkit checkpoint (model.ckpt) or an ONNX model (.onnx, e.g. from"
          + " torch.onnx.export or VNN-COMP); its input must fit the images of --data.")
  Path file;

  /**
   * Loads the model for the images of {@code data}, checking shapes before any data is read, and
   * notes on stderr when the model has no input normalisation (it then gets raw [0, 1] pixels).
   */
  Network load(DataOptions data, NDManager manager) throws IOException {
    return noted(ModelFile.load(file, data.name().inputFormat(), manager));
  }

  /**
   * Loads the model with the input shape its file declares, for inputs that come from elsewhere
   * than a dataset, with the same note as {@link #load(DataOptions, NDManager)}.
   */
  Network load(NDManager manager) throws IOException {
    return noted(ModelFile.load(file, manager));
  }

  private Network noted(Network network) {
    if (network.layers().stream().noneMatch(l -> l instanceof Normalize)) {
      System.err.println("note: " + file + " has no input normalisation (Sub/Div at its input):"
          + " it gets pixels in [0, 1] as they are");
    }
    return network;
  }
}
