package org.certkit.cli;

import java.util.concurrent.Callable;
import org.certkit.certify.Certifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code certkit eval}: clean, PGD and IBP-certified accuracy of a model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Clean, PGD and IBP-certified accuracy of a model on the test set.")
final class EvalCommand implements Callable<Integer> {

  @Mixin EvaluationOptions options;
  @Mixin AttackOptions attack;

  @Override
  public Integer call() throws Exception {
    options.run(attack.attack(), Certifier.Method.IBP);
    return 0;
  }
}
