package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Objects;
import org.certkit.attack.PgdAttack;
import org.certkit.spec.InputSet;

/**
 * STAPS certified training (Mao et al. 2023): {@link SabrTraining}'s small box fed into
 * {@link TapsTraining}. PGD in the eps-ball finds the centre of a box of {@code lambda} times the
 * ball's radius, moved into the ball; TAPS then bounds that box (IBP through the extractor, PGD
 * through the classifier in the latent box). While epsilon ramps up the step is SABR's (IBP on
 * the small box, regulariser included).
 *
 * @param lambda the small box's share of the ball's radius, in [0, 1]
 * @param attack the attack that finds the centre
 * @param taps the TAPS part: split, latent PGD, connector, gradient scale, weights
 */
public record StapsTraining(double lambda, PgdAttack attack, TapsTraining taps)
    implements TrainingMethod {

  /** Validates the parameters. */
  public StapsTraining {
    if (!(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("STAPS's lambda must be in [0, 1], got " + lambda);
    }
    Objects.requireNonNull(attack, "STAPS needs an attack");
    Objects.requireNonNull(taps, "STAPS needs its TAPS settings");
  }

  @Override
  public String name() {
    return "staps";
  }

  /** The small box's centre, then (after the ramp) the latent points of its latent box. */
  @Override
  public NDList prepare(StepInput step) {
    NDArray centre = step.eps() > 0 && lambda < 1 ? PgdTraining.adversarial(attack, step)
        : step.x();
    return TapsTraining.adversarial(step)
        ? new NDList(centre, taps.points(step, box(step, centre))) : new NDList(centre);
  }

  @Override
  public StepLoss loss(StepInput step, NDList prepared) {
    NDArray centre = prepared == null ? step.x() : prepared.get(0);
    return taps.loss(step, box(step, centre),
        prepared != null && prepared.size() > 1 ? prepared.get(1) : null);
  }

  private InputSet box(StepInput step, NDArray centre) {
    return SabrTraining.smallBox(step.x(), centre,
        Math.max(step.eps(), IbpTraining.MIN_BOUND_EPS), lambda);
  }
}
