package org.certkit.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.internal.LayerOps;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Projected gradient descent on the cross-entropy in an L-infinity ball (Madry et al., 2018):
 * signed gradient steps projected back onto the ball and the [0, 1] pixel range.
 *
 * <p>For each example the point of highest loss over all steps and restarts is kept, so a
 * misclassifying point found on the way is never lost. Opens its own gradient collector: call it
 * outside any other collector. It differentiates with respect to the input only (through
 * {@link Network#detached}): the parameters' gradients are neither computed nor changed.
 *
 * @param steps gradient steps per restart, at least 1
 * @param stepSize step length as a fraction of epsilon
 * @param restarts independent runs, at least 1; the first starts at a random point of the ball
 *     when {@code randomStart}, else at the clean input; later ones always start at random
 * @param randomStart whether the first run starts at a uniformly random point of the ball
 */
public record PgdAttack(int steps, double stepSize, int restarts, boolean randomStart) {

  /** Validates the arguments. */
  public PgdAttack {
    if (steps < 1) {
      throw new IllegalArgumentException("PGD steps must be >= 1, got " + steps);
    }
    if (restarts < 1) {
      throw new IllegalArgumentException("PGD restarts must be >= 1, got " + restarts);
    }
    if (!(stepSize > 0)) {
      throw new IllegalArgumentException("PGD step size must be positive, got " + stepSize);
    }
  }

  /** An attack with step size {@code 2.5 / steps} of epsilon and a random start. */
  public static PgdAttack withSteps(int steps, int restarts) {
    return new PgdAttack(steps, 2.5 / steps, restarts, true);
  }

  /**
   * The strongest point found for each example.
   *
   * @param x clean inputs {@code [N, C, H, W]} in [0, 1]; not modified
   * @param labels int64 {@code [N]}
   * @param eps radius in pixel space
   * @param stats BatchNorm statistics for the attack's forward passes
   * @return adversarial inputs, owned by {@code x}'s manager, without gradient history
   */
  public NDArray attack(Network network, NDArray x, NDArray labels, double eps,
      BatchStatistics stats) {
    NDManager manager = x.getManager();
    NDArray lower = x.sub(eps).clip(0, 1);
    NDArray upper = x.add(eps).clip(0, 1);
    NDArray best = x.duplicate();
    NDArray bestLoss = manager.full(labels.getShape(), Float.NEGATIVE_INFINITY, x.getDataType());
    if (eps == 0) {
      return best;
    }
    // Gradients of the input only: the parameters' would be computed and thrown away.
    try (Network frozen = network.detached(manager)) {
      best = search(frozen, x, labels, eps, stats, lower, upper, best, bestLoss);
    }
    return best;
  }

  /** The restarts and steps of {@link #attack}, from {@code best} and its loss. */
  private NDArray search(Network network, NDArray x, NDArray labels, double eps,
      BatchStatistics stats, NDArray lower, NDArray upper, NDArray best, NDArray bestLoss) {
    NDManager manager = x.getManager();
    for (int restart = 0; restart < restarts; restart++) {
      NDArray current = restart > 0 || randomStart
          ? x.add(manager.randomUniform((float) -eps, (float) eps, x.getShape(), x.getDataType()))
              .maximum(lower).minimum(upper)
          : x.duplicate();
      for (int step = 0; step <= steps; step++) {
        try (NDManager scope = manager.newSubManager()) {
          NDArray point = current.duplicate();
          point.attach(scope);
          NDArray loss;
          NDArray gradient;
          try (GradientCollector collector = Gradients.collector()) {
            point.setRequiresGradient(true);
            NDArray logits = ConcreteDomain.forward(network, point, stats);
            loss = Losses.crossEntropyPerExample(logits, labels);
            if (step == steps) {
              loss = loss.stopGradient();
              gradient = null;
            } else {
              collector.backward(loss.sum());
              gradient = point.getGradient();
              gradient.attach(scope);
            }
          }
          NDArray detachedPoint = point.stopGradient();
          NDArray improved = loss.stopGradient().gt(bestLoss);
          NDArray newBest = LayerOps.perExample(improved, detachedPoint, best);
          NDArray newBestLoss = NDArrays.where(improved, loss.stopGradient(),
              bestLoss);
          newBest.attach(manager);
          newBestLoss.attach(manager);
          best.close();
          bestLoss.close();
          best = newBest;
          bestLoss = newBestLoss;
          if (gradient != null) {
            NDArray next = detachedPoint.add(gradient.sign().muli(Constants.scalar(gradient, stepSize * eps)))
                .maximum(lower).minimum(upper);
            next.attach(manager);
            current.close();
            current = next;
          }
        }
      }
      current.close();
    }
    return best;
  }
}
