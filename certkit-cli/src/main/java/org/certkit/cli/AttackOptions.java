package org.certkit.cli;

import org.certkit.attack.PgdAttack;
import picocli.CommandLine.Option;

/** PGD settings for evaluation. */
final class AttackOptions {

  @Option(names = "--pgd-steps", defaultValue = "50",
      description = "PGD steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--pgd-restarts", defaultValue = "1",
      description = "PGD restarts (default: ${DEFAULT-VALUE}).")
  int restarts;

  @Option(names = "--pgd-step-size",
      description = "Step size as a fraction of eps (default: 2.5 / steps).")
  Double stepSize;

  PgdAttack attack() {
    return new PgdAttack(steps, stepSize != null ? stepSize : 2.5 / steps, restarts, true);
  }
}
