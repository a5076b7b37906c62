package org.certkit.examples;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Duration;
import org.certkit.io.ModelFile;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.net.Network;
import org.certkit.verify.PropertyVerifier;

/** Answers a VNNLIB property on an ONNX model as VNN-COMP does: {@code MODEL PROPERTY SECONDS}. */
public final class VerifyProperty {

  private VerifyProperty() {}

  /** Prints sat (with a checked counterexample), unsat, timeout or unknown. */
  public static void main(String[] args) throws Exception {
    VnnlibProperty property = VnnlibReader.read(Path.of(args[1]));
    try (NDManager manager = NDManager.newBaseManager();
        Network network = ModelFile.load(Path.of(args[0]), manager)) {
      PropertyVerifier.Result result = PropertyVerifier.standard().verify(network, property,
          Duration.ofSeconds(Long.parseLong(args[2])), manager, null);
      System.out.printf("%s by %s in %d ms (%d subproblems)%n", result.verdict(),
          result.method(), result.time().toMillis(), result.subproblems());
    }
  }
}
