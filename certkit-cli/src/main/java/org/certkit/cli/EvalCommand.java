package org.certkit.cli;

import java.util.concurrent.Callable;
import org.certkit.certify.Certifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code certkit eval}: clean, PGD and certified accuracy of a model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Clean, PGD and certified accuracy of a model on the test set.",
        "Counts the examples that are certified yet attacked successfully (must be 0)."})
final class EvalCommand implements Callable<Integer> {

  @Mixin EvaluationOptions options;
  @Mixin AttackOptions attack;

  @Option(names = "--method", defaultValue = "ibp",
      converter = CertifyCommand.MethodConverter.class,
      description = "Certification: ibp, crown-ibp, crown, alpha-crown, linear, auto or bab"
          + " (default: ${DEFAULT-VALUE}).")
  Certifier.Method method;

  @Override
  public Integer call() throws Exception {
    options.run(attack.attack(), method);
    return 0;
  }
}
