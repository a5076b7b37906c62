package org.certkit.cli;

import org.certkit.net.Architectures;
import picocli.CommandLine.Option;

/** Options that choose an architecture. */
final class ModelOptions {

  /** The architecture names, for the help text. */
  static final class Names implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Architectures.NAMES.iterator();
    }
  }

  @Option(names = "--arch", defaultValue = "cnn3", completionCandidates = Names.class,
      description = "Architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
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
