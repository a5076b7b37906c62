package org.certkit.train;

/**
 * The phases of one {@link Trainer} step, in the order they run;
 * {@link TrainingListener#phaseFinished} marks the end of each.
 */
public enum StepPhase {
  /** The batch's images (augmented) and labels, and a copy of the running statistics. */
  DATA("data"),
  /** The method's preparation outside the gradient: attacks (PGD, SABR's centres, COLT). */
  ATTACK("attack"),
  /** Forward pass, bounds and loss, recorded for the gradient. */
  LOSS("forward, bounds, loss"),
  /** The backward pass and the parameters' gradients. */
  BACKWARD("backward"),
  /** Gradient norm, clipping, the Adam update and the step's bookkeeping. */
  UPDATE("optimiser");

  private final String label;

  StepPhase(String label) {
    this.label = label;
  }

  /** A short name for tables. */
  public String label() {
    return label;
  }
}
