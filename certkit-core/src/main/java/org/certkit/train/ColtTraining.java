package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
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
import org.certkit.internal.LayerOps;
import org.certkit.loss.Losses;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;

/**
 * COLT, convex layer-wise adversarial training (Balunovic and Vechev, "Adversarial training and
 * provable defenses: bridging the gap", ICLR 2020): adversarial training in the latent spaces of
 * a zonotope relaxation, one layer after the other.
 *
 * <p>The run is split into stages of equal length: stage 0 is PGD training in the input box; stage
 * {@code s >= 1} trains at the output of the network's {@code s}-th ReLU. There the zonotope of
 * the eps-ball (DeepZ's relaxation, as {@link ZonotopeDomain}) is the latent region: each ReLU
 * before it, with bounds {@code l < 0 < u}, becomes {@code lambda x + mu + mu e'} with
 * {@code lambda = u / (u - l)}, {@code mu = -lambda l / 2} and an error term {@code e'} in
 * {@code [-1, 1]} per unit, so a latent point is the input point {@code c + r e} pushed through
 * the layers with the ReLUs so replaced. A sign-gradient PGD over {@code e} and the {@code e'}
 * finds the latent point of largest cross-entropy, and the loss is the cross-entropy of the
 * layers after the latent at that point. As COLT does, the ReLUs' bounds are estimated from
 * {@code projections} Cauchy projections of the error terms (the median of {@code |G C|} over
 * the projections estimates each row's l1 norm; COLT's 50 by default), which costs
 * {@code projections} passes per example instead of one per error term; with 0 they are the
 * zonotope's exact bounds.
 *
 * <p>As in COLT's recipe, stage {@code s} of {@code S} trains at {@code epsFactor^(S-1-s)} times
 * the scheduled eps (the earlier stages at a larger radius), and the loss adds
 * {@code l1 * sum |W|} over the weights of the linear and convolutional layers and, while a
 * later stage exists, the ReLU-stability term {@code reluStability * w * mean_n sum_j
 * relu(-l_j) relu(u_j)} over the bounds of the next stage's ReLU (differentiated through them;
 * {@code w} the current stage's mixing weight), which pushes its units towards stable.
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
 * @param chunk examples per latent search (bounds the memory of the projections)
 * @param projections Cauchy projections that estimate the latent zonotope's bounds; 0 for its
 *     exact bounds
 * @param l1 weight of the L1 norm of the weights, at least 0
 * @param reluStability weight of the ReLU-stability term, at least 0
 * @param epsFactor eps growth per stage towards the first, at least 1
 */
public record ColtTraining(PgdAttack attack, int steps, double stepSize, double mixing,
    int chunk, int projections, double l1, double reluStability, double epsFactor)
    implements TrainingMethod {

  /** COLT's number of Cauchy projections for the latent bounds. */
  public static final int STANDARD_PROJECTIONS = 50;

  /** Validates the parameters. */
  public ColtTraining {
    Objects.requireNonNull(attack, "COLT needs an input-space attack");
    if (steps < 1 || !(stepSize > 0 && stepSize <= 2) || !(mixing >= 0 && mixing < 1)
        || chunk < 1 || projections < 0 || !(l1 >= 0) || !(reluStability >= 0)
        || !(epsFactor >= 1)) {
      throw new IllegalArgumentException("COLT needs steps >= 1, a step size in (0, 2], a"
          + " mixing share in [0, 1), chunk >= 1, projections >= 0, l1 and ReLU-stability"
          + " weights >= 0 and an eps factor >= 1; got " + steps + ", " + stepSize + ", "
          + mixing + ", " + chunk + ", " + projections + ", " + l1 + ", " + reluStability
          + ", " + epsFactor);
    }
  }

  /**
   * COLT's MNIST attack settings: 8 steps of a quarter of the range, one random start, in the
   * input and in the latent spaces; a quarter of each stage mixes; bounds from 50 Cauchy
   * projections, 32 examples per search; L1 weight 5e-6 and ReLU stability 0.003 (its
   * CIFAR-10 8/255 recipe's), eps growing by 1.05 per stage (its code's default).
   */
  public static ColtTraining recipe() {
    return withAttack(new PgdAttack(8, 0.25, 1, true), 8, 0.25);
  }

  /**
   * The recipe with its own input attack and {@code steps} latent steps of {@code stepSize}.
   */
  public static ColtTraining withAttack(PgdAttack attack, int steps, double stepSize) {
    return new ColtTraining(attack, steps, stepSize, 0.25, 32, STANDARD_PROJECTIONS, 5e-6,
        0.003, 1.05);
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
    double eps = stageEps(step, s, stages);
    NDList points = new NDList(point(step, latents.get(s), eps, stats));
    if (currentWeight(step.progress(), stages) < 1) {
      points.add(point(step, latents.get(s - 1), eps, stats));
    }
    return points;
  }

  /** The radius of stage {@code s}: the scheduled eps times {@code epsFactor^(S-1-s)}. */
  double stageEps(StepInput step, int s, int stages) {
    return step.eps() * Math.pow(epsFactor, stages - 1 - s);
  }

  /** The adversarial point at the output of node {@code latent} (-1: the input), at eps. */
  NDArray point(StepInput step, int latent) {
    return point(step, latent, step.eps(), cleanStatistics(step));
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

  private NDArray point(StepInput step, int latent, double eps, BatchStatistics stats) {
    if (latent < 0) {
      return attack.attack(step.network(), step.x(), step.labels(), eps, stats);
    }
    Network network = step.network();
    long n = step.x().getShape().get(0);
    NDList parts = new NDList();
    for (long from = 0; from < n; from += chunk) {
      long to = Math.min(n, from + chunk);
      NDArray x = step.x().get(from + ":" + to);
      NDArray labels = step.labels().get(from + ":" + to);
      try (NDManager scope = step.manager().newSubManager()) {
        NDArray xs = x.duplicate();
        xs.attach(scope);
        NDArray found;
        // The search needs gradients of the error terms only, not of the parameters.
        try (Network frozen = network.detached(scope)) {
          Box ball = Box.linfBall(xs, eps);
          List<NDArray[]> relaxed = relaxations(frozen, latent, ball, stats);
          found = search(frozen, latent, ball, relaxed, labels, stats);
        }
        found.attach(step.manager());
        parts.add(found);
      }
    }
    return NDArrays.concat(parts);
  }

  /**
   * DeepZ's {@code lambda, mu} of every ReLU up to node {@code latent}, in order: from the
   * zonotope's exact bounds when {@link #projections} is 0, else from its Cauchy estimate.
   */
  List<NDArray[]> relaxations(Network network, int latent, Box ball, BatchStatistics stats) {
    List<NDArray[]> out = new ArrayList<>();
    for (Box box : reluBounds(network, latent, ball, stats)) {
      out.add(relaxation(box.lower(), box.upper()));
    }
    return out;
  }

  /**
   * The bounds of the input of every ReLU up to node {@code latent}, in order, of the zonotope
   * of {@code ball}: exact when {@link #projections} is 0, else estimated from that many Cauchy
   * projections of its error terms (differentiable in the network's parameters either way).
   */
  List<Box> reluBounds(Network network, int latent, Box ball, BatchStatistics stats) {
    List<Box> out = new ArrayList<>();
    if (projections == 0) {
      List<ZonotopeDomain.Zonotope> values = new ZonotopeDomain().propagate(network,
          ZonotopeDomain.of(ball), latent + 1, stats);
      for (int i = 0; i <= latent; i++) {
        if (network.layers().get(i) instanceof Relu) {
          out.add(i == 0 ? ball : values.get(i - 1).box());
        }
      }
      return out;
    }
    NDArray head = ball.centre();
    List<NDArray> blocks = new ArrayList<>(List.of(cauchy(ball.radius())));
    for (int i = 0; i <= latent; i++) {
      Layer layer = network.layers().get(i);
      if (layer instanceof Relu) {
        NDArray spread = head.zerosLike();
        for (NDArray block : blocks) {
          spread = spread.add(block.abs().median(new int[] {1}));
        }
        Box box = new Box(head, spread);
        out.add(box);
        NDArray[] lm = relaxation(box.lower(), box.upper());
        head = head.mul(lm[0]).add(lm[1]);
        List<NDArray> scaled = new ArrayList<>();
        for (NDArray block : blocks) {
          scaled.add(block.mul(lm[0].expandDims(1)));
        }
        scaled.add(cauchy(lm[1]));
        blocks = scaled;
      } else {
        List<NDArray> mapped = new ArrayList<>();
        for (NDArray block : blocks) {
          mapped.add(linearPart(layer, i, block, head, stats));
        }
        head = ConcreteDomain.apply(layer, i, head, stats);
        blocks = mapped;
      }
    }
    return out;
  }

  /**
   * {@code projections} Cauchy projections of independent error terms of radius {@code radius}
   * ({@code [N, ...]}), one per coordinate: {@code [N, k, ...]}, each entry {@code radius} times
   * a standard Cauchy draw (clipped to 1e10, as COLT does).
   */
  private NDArray cauchy(NDArray radius) {
    Shape shape = radius.getShape();
    Shape drawn = new Shape(shape.get(0), projections).addAll(shape.slice(1));
    NDArray u = radius.getManager().randomUniform(-0.5f, 0.5f, drawn, radius.getDataType());
    NDArray draw = u.mul(Constants.scalar(u, (float) Math.PI)).tan().clip(-1e10, 1e10);
    return draw.mul(radius.expandDims(1));
  }

  /**
   * The linear part of an affine {@code layer} (node {@code index}) on the error directions
   * {@code block} {@code [N, k, ...]}; {@code head} is the layer's input, for its shape.
   */
  private static NDArray linearPart(Layer layer, int index, NDArray block, NDArray head,
      BatchStatistics stats) {
    return switch (layer) {
      case Linear l -> LayerOps.perSlice(block, x -> LayerOps.linear(x, l.weight(), null));
      case Conv2d c -> LayerOps.perSlice(block,
          x -> LayerOps.conv2d(x, c.weight(), null, c.stride(), c.padding()));
      case AvgPool p -> LayerOps.perSlice(block, x -> LayerOps.avgPool(x, p));
      case Flatten f -> block.reshape(block.getShape().get(0), block.getShape().get(1), -1);
      case Normalize z -> block.div(LayerOps.perChannel(z.std(), head).expandDims(1));
      case BatchNorm b -> block.mul(b.affine(stats.recordedOrRunning(index, b), head).scale()
          .expandDims(1));
      case Relu r -> throw new IllegalStateException("ReLUs are relaxed, not mapped");
      case Add a -> throw new IllegalArgumentException("COLT trains chain networks");
      case MaxPool m -> throw new IllegalArgumentException("COLT's relaxation has no MaxPool");
      case Sigmoid g -> throw new IllegalArgumentException("COLT relaxes ReLU networks only");
      case Tanh t -> throw new IllegalArgumentException("COLT relaxes ReLU networks only");
    };
  }

  /** DeepZ's ReLU relaxation of bounds {@code [lower, upper]}: {@code {lambda, mu}}. */
  private static NDArray[] relaxation(NDArray lower, NDArray upper) {
    NDArray zero = Constants.scalar(lower, 0);
    NDArray loose = lower.lt(zero).logicalAnd(upper.gt(zero)).toType(lower.getDataType(), false);
    NDArray active = lower.gte(zero).toType(lower.getDataType(), false);
    NDArray width = upper.sub(lower).maximum(Constants.scalar(lower, Float.MIN_NORMAL));
    NDArray lambda = upper.div(width).mul(loose).add(active);
    NDArray mu = lower.mul(lambda).mul(loose).mul(Constants.scalar(lower, -0.5f));
    return new NDArray[] {lambda, mu};
  }

  /**
   * The latent point of error terms {@code e} (the input's, {@code [N, ...input]}) and
   * {@code privates} (one per ReLU up to the latent): the input point {@code c + r e} through the
   * layers up to node {@code latent}, each ReLU replaced by {@code lambda x + mu + mu e'}.
   */
  static NDArray latentPoint(Network network, int latent, Box ball, List<NDArray[]> relaxed,
      NDArray e, List<NDArray> privates, BatchStatistics stats) {
    NDArray h = ball.centre().add(ball.radius().mul(e));
    int relu = 0;
    for (int i = 0; i <= latent; i++) {
      Layer layer = network.layers().get(i);
      if (layer instanceof Relu) {
        NDArray[] lm = relaxed.get(relu);
        h = h.mul(lm[0]).add(lm[1].mul(privates.get(relu).add(Constants.scalar(h, 1))));
        relu++;
      } else {
        h = ConcreteDomain.apply(layer, i, h, stats);
      }
    }
    return h;
  }

  /** Sign-gradient ascent of the cross-entropy over the latent region's error terms. */
  private NDArray search(Network network, int latent, Box ball, List<NDArray[]> relaxed,
      NDArray labels, BatchStatistics stats) {
    List<Layer> after = network.layers().subList(latent + 1, network.layers().size());
    NDManager manager = ball.centre().getManager();
    DataType type = ball.centre().getDataType();
    NDArray e = manager.randomUniform(-1, 1, ball.centre().getShape(), type);
    List<NDArray> privates = new ArrayList<>();
    for (NDArray[] lm : relaxed) {
      privates.add(manager.randomUniform(-1, 1, lm[0].getShape(), type));
    }
    NDArray step = Constants.scalar(e, (float) stepSize);
    for (int s = 0; s < steps; s++) {
      try (GradientCollector collector = Gradients.collector()) {
        e.setRequiresGradient(true);
        privates.forEach(p -> p.setRequiresGradient(true));
        NDArray logits = ConcreteDomain.forward(after, latent + 1,
            latentPoint(network, latent, ball, relaxed, e, privates, stats), stats);
        collector.backward(Losses.crossEntropy(logits, labels));
      }
      e = ascend(e, step);
      privates.replaceAll(p -> ascend(p, step));
    }
    return latentPoint(network, latent, ball, relaxed, e, privates, stats).stopGradient();
  }

  /** One sign-gradient step of error terms, kept in {@code [-1, 1]}. */
  private static NDArray ascend(NDArray terms, NDArray step) {
    return terms.stopGradient().add(terms.getGradient().sign().mul(step)).clip(-1, 1);
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
    if (l1 > 0) {
      loss = loss.add(weightNorm(network).mul(Constants.scalar(loss, (float) l1)));
    }
    if (reluStability > 0 && s + 1 < stages) {
      Box next = reluBounds(network, latents.get(s + 1),
          Box.linfBall(step.x(), stageEps(step, s, stages)), step.stats()).getLast();
      loss = loss.add(instability(next).mul(Constants.scalar(loss,
          (float) (reluStability * weight))));
    }
    return StepLoss.robust(loss, clean, Losses.correctCount(logits, step.labels()));
  }

  /** {@code sum |W|} over the weights of the linear and convolutional layers. */
  static NDArray weightNorm(Network network) {
    NDArray sum = null;
    for (Layer layer : network.layers()) {
      NDArray w = layer instanceof Linear l ? l.weight()
          : layer instanceof Conv2d c ? c.weight() : null;
      if (w != null) {
        NDArray part = w.abs().sum();
        sum = sum == null ? part : sum.add(part);
      }
    }
    if (sum == null) {
      throw new IllegalArgumentException("no linear or convolutional layer to regularise");
    }
    return sum;
  }

  /** The batch mean of {@code sum_j relu(-l_j) relu(u_j)} over the units of {@code bounds}. */
  static NDArray instability(Box bounds) {
    NDArray product = Activation.relu(bounds.lower().neg()).mul(Activation.relu(bounds.upper()));
    long n = product.getShape().get(0);
    return product.sum().div(Constants.scalar(product, n));
  }

  /** The logits of the layers after node {@code latent} at {@code point}. */
  private static NDArray latentLogits(Network network, int latent, NDArray point,
      BatchStatistics stats) {
    return ConcreteDomain.forward(network.layers().subList(latent + 1,
        network.layers().size()), latent + 1, point, stats);
  }
}
