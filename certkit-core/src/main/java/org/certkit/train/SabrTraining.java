package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Objects;
import org.certkit.attack.PgdAttack;
import org.certkit.internal.Constants;
import org.certkit.spec.InputSet;

/**
 * SABR certified training (Mueller, Eckert, Fischer and Vechev, "Certified training: small boxes
 * are all you need", ICLR 2023): IBP through a small box around an adversarial point instead of
 * the whole eps-ball.
 *
 * <p>PGD on the eps-ball (clipped to [0, 1]) finds a point {@code x'}; the box of half-width
 * {@code r = lambda (u - l) / 2} per pixel ({@code [l, u]} the clipped ball) is centred at
 * {@code x'} moved into {@code [l + r, u - r]}, so that it lies in the ball; the loss is then
 * {@link IbpTraining}'s on that box (robust cross-entropy of its interval margin bounds, mixed
 * with the clean loss by {@code robustWeight}, warm-up regulariser on its bounds while epsilon
 * ramps up). {@code lambda = 1} is IBP training on the ball, {@code lambda = 0} adversarial
 * training at {@code x'}. The robust count of a step is the examples whose small box IBP
 * certifies, not the ball.
 *
 * @param lambda the small box's share of the ball's radius, in [0, 1]
 * @param attack the attack that finds the centre
 * @param robustWeight weight of the robust loss against the clean loss, in [0, 1]
 * @param regularizerWeight lambda of the warm-up regulariser, at least 0
 */
public record SabrTraining(double lambda, PgdAttack attack, double robustWeight,
    double regularizerWeight) implements TrainingMethod {

  /** Validates the parameters. */
  public SabrTraining {
    if (!(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("SABR's lambda must be in [0, 1], got " + lambda);
    }
    Objects.requireNonNull(attack, "SABR needs an attack");
    IbpTraining.requireWeights(robustWeight, regularizerWeight);
  }

  /**
   * CTBench's MNIST recipe at eps 0.1: lambda 0.4, PGD with 10 steps of a quarter of epsilon
   * from 3 random starts, robust weight 0.7, regulariser 0.5.
   */
  public static SabrTraining withLambda(double lambda) {
    return new SabrTraining(lambda, new PgdAttack(10, 0.25, 3, true), 0.7, 0.5);
  }

  @Override
  public String name() {
    return "sabr";
  }

  @Override
  public NDList prepare(StepInput step) {
    return step.eps() > 0 && lambda < 1 ? new NDList(PgdTraining.adversarial(attack, step))
        : null;
  }

  @Override
  public StepLoss loss(StepInput step, NDList adversarial) {
    double eps = Math.max(step.eps(), IbpTraining.MIN_BOUND_EPS);
    IbpTraining.Terms terms = IbpTraining.Terms.of(step, smallBox(step.x(),
        adversarial == null ? step.x() : adversarial.get(0), eps, lambda), regularizerWeight, 1);
    return terms.step(terms.robustLoss(), robustWeight);
  }

  /**
   * The box of half-width {@code lambda (u - l) / 2} around {@code centre} moved into the
   * eps-ball of {@code x} clipped to [0, 1] ({@code [l, u]}).
   */
  static InputSet.BoxRegion smallBox(NDArray x, NDArray centre, double eps, double lambda) {
    NDArray zero = Constants.scalar(x, 0);
    NDArray one = Constants.scalar(x, 1);
    NDArray l = x.sub(Constants.scalar(x, (float) eps)).maximum(zero);
    NDArray u = x.add(Constants.scalar(x, (float) eps)).minimum(one);
    NDArray r = u.sub(l).mul(Constants.scalar(x, (float) (lambda / 2)));
    NDArray c = centre.minimum(u.sub(r)).maximum(l.add(r));
    return new InputSet.BoxRegion(c.sub(r).maximum(l), c.add(r).minimum(u));
  }
}
