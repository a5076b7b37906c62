package org.certkit.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.internal.LayerOps;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Projected gradient ascent into an unsafe output region over an input box, the falsification
 * step of a verifier: the region is a union of clauses, each the points where every row of
 * {@code A y + b} is at least 0, and the attack maximises {@code max_q min_r (A_q y + b_q)_r}
 * (at least 0 exactly on the region) by signed gradient steps projected onto the box. All
 * restarts run as one batch from uniformly random points of the box, the first from its centre;
 * the step is {@code stepSize} times the box's half-width per input, halved twice over the run.
 * The answer is a candidate only: a caller checks it before calling it a counterexample.
 *
 * @param steps gradient steps, at least 1
 * @param restarts points run together, at least 1
 * @param stepSize first step as a fraction of each input's half-width, positive
 * @param seed seed of the random starts
 */
public record RegionAttack(int steps, int restarts, double stepSize, long seed) {

  /** Validates the arguments. */
  public RegionAttack {
    if (steps < 1 || restarts < 1 || !(stepSize > 0)) {
      throw new IllegalArgumentException("need steps >= 1, restarts >= 1 and a positive step"
          + " size, got " + steps + ", " + restarts + ", " + stepSize);
    }
  }

  /**
   * One clause of the unsafe region: the outputs {@code y} with {@code A y + b >= 0} in every row.
   *
   * @param matrix {@code A}, {@code [R, K]}
   * @param offset {@code b}, {@code [R]}
   */
  public record Clause(NDArray matrix, NDArray offset) { }

  /**
   * The points that came closest to the region, one per restart, with how close.
   *
   * @param points {@code [restarts, ...input]}, inside the box, in the box's type
   * @param objective {@code [restarts]}: {@code max_q min_r} of each point's rows (at least 0
   *     when the point's computed outputs lie in the region)
   */
  public record Candidates(NDArray points, NDArray objective) { }

  /**
   * Runs the attack.
   *
   * @param lower the box's lower corner {@code [1, ...input]}; not modified
   * @param upper its upper corner, same shape and type
   * @param clauses the region, at least one clause, in the box's type
   * @return candidates owned by {@code lower}'s manager
   */
  public Candidates attack(Network network, NDArray lower, NDArray upper, List<Clause> clauses,
      BatchStatistics stats) {
    if (clauses.isEmpty()) {
      throw new IllegalArgumentException("the unsafe region has no clause");
    }
    NDManager manager = lower.getManager();
    Shape batch = new Shape(restarts).addAll(lower.getShape().slice(1));
    NDArray lo = lower.broadcast(batch);
    NDArray hi = upper.broadcast(batch);
    NDArray half = hi.sub(lo).divi(Constants.scalar(lo, 2));
    manager.getEngine().setRandomSeed((int) seed);
    NDArray current = lo.add(hi.sub(lo).mul(manager.randomUniform(0, 1, batch,
        lower.getDataType())));
    current.set(new ai.djl.ndarray.index.NDIndex("0"), lo.get(0).add(half.get(0)));
    NDArray best = current.duplicate();
    NDArray bestObjective = manager.full(new Shape(restarts), Float.NEGATIVE_INFINITY,
        lower.getDataType());
    for (int step = 0; step <= steps; step++) {
      try (NDManager scope = manager.newSubManager()) {
        NDArray point = current.duplicate();
        point.attach(scope);
        NDArray objective;
        NDArray gradient = null;
        try (GradientCollector collector = Gradients.collector()) {
          point.setRequiresGradient(true);
          NDArray y = ConcreteDomain.forward(network, point, stats);
          objective = objective(y, clauses);
          if (step < steps) {
            collector.backward(objective.sum());
            gradient = point.getGradient();
            gradient.attach(scope);
          }
        }
        NDArray value = objective.stopGradient();
        NDArray detached = point.stopGradient();
        NDArray improved = value.gt(bestObjective);
        NDArray newBest = LayerOps.perExample(improved, detached, best);
        NDArray newObjective = NDArrays.where(improved, value, bestObjective);
        newBest.attach(manager);
        newObjective.attach(manager);
        best.close();
        bestObjective.close();
        best = newBest;
        bestObjective = newObjective;
        if (gradient != null) {
          double fraction = stepSize / (step < steps / 2 ? 1 : step < 3 * steps / 4 ? 2 : 4);
          NDArray next = detached.add(gradient.sign().mul(half).muli(
              Constants.scalar(half, fraction))).maximum(lo).minimum(hi);
          next.attach(manager);
          current.close();
          current = next;
        }
      }
    }
    current.close();
    return new Candidates(best, bestObjective);
  }

  /** {@code max_q min_r (A_q y + b_q)_r} per example of {@code y} {@code [N, K]}. */
  private static NDArray objective(NDArray y, List<Clause> clauses) {
    NDArray best = null;
    for (Clause clause : clauses) {
      NDArray rows = y.matMul(clause.matrix().transpose()).add(clause.offset().expandDims(0));
      NDArray worst = rows.min(new int[] {1});
      best = best == null ? worst : best.maximum(worst);
    }
    return best;
  }
}
