package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.ZonotopeDomain;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Layer;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/**
 * COLT, convex layer-wise adversarial training (Balunovic and Vechev, "Adversarial training and
 * provable defenses: bridging the gap", ICLR 2020): adversarial training in the latent spaces of
 * a zonotope relaxation, one layer after the other.
 *
 * <p>The run is split into stages of equal length: stage 0 is PGD training in the input box; stage
 * {@code s >= 1} trains at the output of the network's {@code s}-th ReLU. There the zonotope
 * {@code c + G e + d e'} of the eps-ball ({@link ZonotopeDomain}) is the latent region, a
 * sign-gradient PGD over the error terms {@code e, e'} in {@code [-1, 1]} finds the latent point
 * of largest
 * cross-entropy, and the loss is the cross-entropy of the layers after the latent at that point.
 * During the first {@code mixing} share of a stage the previous stage's loss is blended in,
 * its weight falling linearly from 1 to 0. The latent point is fixed in the loss, so the layers
 * before the latent learn from no robust term in that stage (COLT freezes them; its released
 * recipes decay their learning rate instead). COLT's bounds are not sound; certification needs a
 * verifier.
 *
 * @param attack the input-space attack of stage 0
 * @param steps PGD steps over the latent error terms, at least 1
 * @param stepSize sign-gradient step on the error terms, in (0, 2]
 * @param mixing share of each stage that blends in the previous stage's loss, in [0, 1)
 * @param chunk examples per zonotope propagation (bounds the memory of the generators)
 */
public record ColtTraining(PgdAttack attack, int steps, double stepSize, double mixing,
    int chunk) implements TrainingMethod {

  /** Validates the parameters. */
  public ColtTraining {
    Objects.requireNonNull(attack, "COLT needs an input-space attack");
    if (steps < 1 || !(stepSize > 0 && stepSize <= 2) || !(mixing >= 0 && mixing < 1)
        || chunk < 1) {
      throw new IllegalArgumentException("COLT needs steps >= 1, a step size in (0, 2], a"
          + " mixing share in [0, 1) and chunk >= 1; got " + steps + ", " + stepSize + ", "
          + mixing + ", " + chunk);
    }
  }

  /**
   * COLT's MNIST attack settings: 8 steps of a quarter of the range, one random start, in the
   * input and in the latent spaces; a quarter of each stage mixes; 32 examples per propagation.
   */
  public static ColtTraining recipe() {
    return new ColtTraining(new PgdAttack(8, 0.25, 1, true), 8, 0.25, 0.25, 32);
  }

  @Override
  public String name() {
    return "colt";
  }

  /** The latent nodes of the stages: -1 (the input), then each ReLU of the chain, in order. */
  static List<Integer> latents(Network network) {
    if (!network.isChain()) {
      throw new IllegalArgumentException("COLT trains chain networks; "
          + network.architecture() + " is a graph");
    }
    List<Integer> out = new ArrayList<>(List.of(-1));
    for (int i = 0; i < network.layers().size(); i++) {
      if (network.layers().get(i) instanceof Relu) {
        out.add(i);
      }
    }
    return out;
  }

  /** The stage of a step at {@code progress} of the run, with {@code stages} stages. */
  static int stage(double progress, int stages) {
    return Math.min(stages - 1, (int) Math.floor(progress * stages));
  }

  /** The weight of the current stage's loss: rising from 0 to 1 over its mixing share. */
  double currentWeight(double progress, int stages) {
    int s = stage(progress, stages);
    if (s == 0 || mixing == 0) {
      return 1;
    }
    double within = progress * stages - s;
    return Math.min(1, within / mixing);
  }

  /**
   * The adversarial points of the step: the current stage's latent point, then the previous
   * stage's while it is mixed in; each {@code [N, ...latent]}.
   */
  @Override
  public NDList prepare(StepInput step) {
    List<Integer> latents = latents(step.network());
    int stages = latents.size();
    int s = stage(step.progress(), stages);
    BatchStatistics stats = cleanStatistics(step);
    NDList points = new NDList(point(step, latents.get(s), stats));
    if (currentWeight(step.progress(), stages) < 1) {
      points.add(point(step, latents.get(s - 1), stats));
    }
    return points;
  }

  /** The adversarial point at the output of node {@code latent} (-1: the input). */
  NDArray point(StepInput step, int latent) {
    return point(step, latent, cleanStatistics(step));
  }

  /**
   * The clean batch's BatchNorm statistics, from an extra pass that leaves the running
   * statistics alone: what the searches of the step use.
   */
  private static BatchStatistics cleanStatistics(StepInput step) {
    BatchStatistics stats = BatchStatistics.trainingWithoutRunningUpdate();
    ConcreteDomain.forward(step.network(), step.x(), stats);
    return stats;
  }

  private NDArray point(StepInput step, int latent, BatchStatistics stats) {
    if (latent < 0) {
      return attack.attack(step.network(), step.x(), step.labels(), step.eps(), stats);
    }
    Network network = step.network();
    ZonotopeDomain domain = new ZonotopeDomain();
    long n = step.x().getShape().get(0);
    NDList parts = new NDList();
    for (long from = 0; from < n; from += chunk) {
      long to = Math.min(n, from + chunk);
      NDArray x = step.x().get(from + ":" + to);
      NDArray labels = step.labels().get(from + ":" + to);
      try (NDManager scope = step.manager().newSubManager()) {
        NDArray xs = x.duplicate();
        xs.attach(scope);
        ZonotopeDomain.Zonotope zonotope = domain.propagate(network,
            ZonotopeDomain.of(Box.linfBall(xs, step.eps())), latent + 1, stats).getLast();
        NDArray found;
        // The search needs gradients of the error terms only, not of the parameters.
        try (Network frozen = network.detached(scope)) {
          found = search(frozen, latent, zonotope, labels, stats);
        }
        found.attach(step.manager());
        parts.add(found);
      }
    }
    return NDArrays.concat(parts);
  }

  /** Sign-gradient ascent of the cross-entropy over the zonotope's error terms. */
  private NDArray search(Network network, int latent, ZonotopeDomain.Zonotope zonotope,
      NDArray labels, BatchStatistics stats) {
    List<Layer> after = network.layers().subList(latent + 1, network.layers().size());
    ZonotopeDomain.Zonotope fixed = new ZonotopeDomain.Zonotope(zonotope.centre().stopGradient(),
        zonotope.generators().stopGradient(), zonotope.privates().stopGradient());
    NDManager manager = fixed.centre().getManager();
    DataType type = fixed.centre().getDataType();
    NDArray e = manager.randomUniform(-1, 1, new Shape(fixed.centre().getShape().get(0),
        fixed.terms()), type);
    NDArray p = manager.randomUniform(-1, 1, fixed.centre().getShape(), type);
    NDArray step = Constants.scalar(e, (float) stepSize);
    for (int s = 0; s < steps; s++) {
      NDArray towardsE;
      NDArray towardsP;
      try (GradientCollector collector = Gradients.collector()) {
        e.setRequiresGradient(true);
        p.setRequiresGradient(true);
        NDArray logits = ConcreteDomain.forward(after, latent + 1, fixed.point(e, p), stats);
        collector.backward(Losses.crossEntropy(logits, labels));
        towardsE = e.getGradient().sign();
        towardsP = p.getGradient().sign();
      }
      e = e.stopGradient().add(towardsE.mul(step)).clip(-1, 1);
      p = p.stopGradient().add(towardsP.mul(step)).clip(-1, 1);
    }
    return fixed.point(e, p).stopGradient();
  }

  @Override
  public StepLoss loss(StepInput step, NDList points) {
    Network network = step.network();
    List<Integer> latents = latents(network);
    int stages = latents.size();
    int s = stage(step.progress(), stages);
    NDArray clean = ConcreteDomain.forward(network, step.x(), step.stats());
    NDArray logits = latentLogits(network, latents.get(s), points.get(0), step.stats());
    NDArray loss = Losses.crossEntropy(logits, step.labels());
    double weight = currentWeight(step.progress(), stages);
    if (weight < 1) {
      NDArray previous = latentLogits(network, latents.get(s - 1), points.get(1), step.stats());
      loss = loss.mul(Constants.scalar(loss, (float) weight)).add(Losses.crossEntropy(previous,
          step.labels()).mul(Constants.scalar(loss, (float) (1 - weight))));
    }
    return StepLoss.robust(loss, clean, Losses.correctCount(logits, step.labels()));
  }

  /** The logits of the layers after node {@code latent} at {@code point}. */
  private static NDArray latentLogits(Network network, int latent, NDArray point,
      BatchStatistics stats) {
    return ConcreteDomain.forward(network.layers().subList(latent + 1,
        network.layers().size()), latent + 1, point, stats);
  }
}
