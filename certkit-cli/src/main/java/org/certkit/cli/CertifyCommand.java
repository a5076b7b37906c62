package org.certkit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code certkit certify}: sound IBP certification of a model. */
@Command(name = "certify", mixinStandardHelpOptions = true,
    description = {"IBP-certified accuracy of a model on the test set.",
        "Sound under floating point: float64 propagation with outward rounding allowances."})
final class CertifyCommand implements Callable<Integer> {

  @Mixin EvaluationOptions options;

  @Override
  public Integer call() throws Exception {
    options.run(null, true);
    return 0;
  }
}
