package org.certkit.cli;

import org.certkit.net.Architectures;
import picocli.CommandLine.Option;

/** Options that choose an architecture. */
final class ModelOptions {

  @Option(names = "--arch", defaultValue = "cnn3",
      description = "Architecture: fc, cnn2-bn, cnn3, cnn3-bn, cnn5, cnn5-bn, cnn7, cnn9, cnn11,"
          + " cnn13, dm-small, dm-medium, dm-large (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--width-multiplier", defaultValue = "1",
      description = "Scales the convolution channels of the cnn architectures (default:"
          + " ${DEFAULT-VALUE}).")
  double widthMultiplier;

  @Option(names = "--hidden", split = ",", defaultValue = "256,256",
      description = "Hidden widths of fc, comma separated (default: ${DEFAULT-VALUE}).")
  int[] hidden;

  Architectures.Spec spec() {
    return new Architectures.Spec(arch, widthMultiplier, hidden);
  }
}
