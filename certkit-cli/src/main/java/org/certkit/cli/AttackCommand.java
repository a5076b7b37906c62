package org.certkit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code certkit attack}: PGD accuracy of a model. */
@Command(name = "attack", mixinStandardHelpOptions = true,
    description = "Clean and PGD accuracy of a model on the test set.")
final class AttackCommand implements Callable<Integer> {

  @Mixin EvaluationOptions options;
  @Mixin AttackOptions attack;

  @Override
  public Integer call() throws Exception {
    options.run(attack.attack(), null);
    return 0;
  }
}
