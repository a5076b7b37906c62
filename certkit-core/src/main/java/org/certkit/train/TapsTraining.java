package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.OptionalLong;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.SpecificationBounds;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Layer;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * TAPS certified training (Mao, Mueller, Fischer and Vechev, "Connecting certified and
 * adversarial training", NeurIPS 2023): IBP through a feature extractor, PGD through the
 * classifier inside the extractor's latent box.
 *
 * <p>The network's last {@code classifierLayers} layers are the classifier {@code g}, the others
 * the extractor. IBP bounds the latent features by a box {@code [l, u]}; for every class
 * {@code i} a sign-gradient PGD in that box looks for the latent point {@code z_i} that maximises
 * {@code g(z_i)_i - g(z_i)_t}, and these estimated worst-case margins make the TAPS logits, whose
 * cross-entropy is multiplied by the IBP cross-entropy of the same step; the TAPS factor's
 * gradient is scaled by {@code gradientScale}. The points reach the box through the rectified
 * linear gradient connector: a point within {@code c (u - l)} of {@code u} passes the gradient
 * to {@code u} scaled linearly from 0 to 1 (the same at {@code l}), and none to itself. While
 * epsilon ramps up the step is IBP training (regulariser included). TAPS's bounds are not sound;
 * certification needs a verifier.
 *
 * @param classifierLayers layers of the classifier, at least 1 and fewer than the network's
 * @param steps PGD steps in the latent box, at least 1
 * @param connector the connector's share {@code c} in (0, 0.5]
 * @param gradientScale {@code w}, the factor on the TAPS loss's gradient, positive
 * @param robustWeight weight of the robust loss against the clean loss, in [0, 1]
 * @param regularizerWeight lambda of the warm-up regulariser during the ramp, at least 0
 */
public record TapsTraining(int classifierLayers, int steps, double connector,
    double gradientScale, double robustWeight, double regularizerWeight)
    implements TrainingMethod {

  /** Validates the parameters. */
  public TapsTraining {
    if (classifierLayers < 1 || steps < 1) {
      throw new IllegalArgumentException("TAPS needs at least one classifier layer and one PGD"
          + " step, got " + classifierLayers + " and " + steps);
    }
    if (!(connector > 0 && connector <= 0.5)) {
      throw new IllegalArgumentException("TAPS's connector share must be in (0, 0.5], got "
          + connector);
    }
    if (!(gradientScale > 0) || Double.isInfinite(gradientScale)) {
      throw new IllegalArgumentException("TAPS's gradient scale must be positive, got "
          + gradientScale);
    }
    IbpTraining.requireWeights(robustWeight, regularizerWeight);
  }

  /**
   * The MNIST recipe's settings with the given classifier: 10 latent PGD steps, connector 0.5,
   * gradient scale 4, robust weight 0.7, regulariser 0.5.
   */
  public static TapsTraining withClassifier(int classifierLayers) {
    return new TapsTraining(classifierLayers, 10, 0.5, 4, 0.7, 0.5);
  }

  @Override
  public String name() {
    return "taps";
  }

  /** Whether the step is TAPS (after the ramp) rather than IBP training. */
  static boolean adversarial(StepInput step) {
    return step.eps() > 0 && step.eps() >= step.targetEps();
  }

  /** Index of the extractor's last layer, checked against the network. */
  private int split(Network network) {
    if (!network.isChain()) {
      throw new IllegalArgumentException("TAPS splits chain networks; "
          + network.architecture() + " is a graph");
    }
    int layers = network.layers().size();
    if (classifierLayers >= layers) {
      throw new IllegalArgumentException("TAPS's classifier of " + classifierLayers
          + " layers leaves no extractor in a network of " + layers);
    }
    return layers - classifierLayers - 1;
  }

  /**
   * The latent points of the PGD, {@code [K, N, ...latent]} (one search per class), found with
   * the clean batch's statistics in an extra pass that leaves the running statistics alone.
   */
  @Override
  public NDList prepare(StepInput step) {
    return adversarial(step) ? new NDList(points(step, ball(step))) : null;
  }

  /** The step's eps-ball (at least {@link IbpTraining#MIN_BOUND_EPS}) clipped to [0, 1]. */
  private static InputSet ball(StepInput step) {
    return InputSet.LinfBall.pixels(step.x(), Math.max(step.eps(), IbpTraining.MIN_BOUND_EPS));
  }

  /** The searched latent points of the latent box of {@code region}, as {@link #prepare}. */
  NDArray points(StepInput step, InputSet region) {
    Network network = step.network();
    int last = split(network);
    BatchStatistics stats = BatchStatistics.trainingWithoutRunningUpdate();
    NDArray clean = ConcreteDomain.forward(network, step.x(), stats);
    int classes = (int) clean.getShape().get(1);
    Box latent = new IntervalDomain(IntervalDomain.Rounding.NEAREST).nodeBoxes(network,
        Box.of(region), stats).of(last);
    // The search needs gradients of the latent point only, not of the parameters.
    try (Network frozen = network.detached(step.manager())) {
      return search(frozen, last, latent.lower().stopGradient(),
          latent.upper().stopGradient(), step.labels(), classes, stats);
    }
  }

  /** Sign-gradient ascent of {@code g(z)_i - g(z)_t} in {@code [lower, upper]} per class. */
  private NDArray search(Network network, int last, NDArray lower, NDArray upper,
      NDArray labels, int classes, BatchStatistics stats) {
    NDManager manager = lower.getManager();
    List<Layer> classifier = network.layers().subList(last + 1, network.layers().size());
    long n = lower.getShape().get(0);
    Shape latentShape = lower.getShape().slice(1);
    Shape stacked = new Shape(classes * n).addAll(latentShape);
    NDArray lo = lower.expandDims(0).broadcast(new Shape(classes).addAll(lower.getShape()))
        .reshape(stacked);
    NDArray hi = upper.expandDims(0).broadcast(new Shape(classes).addAll(upper.getShape()))
        .reshape(stacked);
    NDArray direction = directions(labels, classes, lower.getDataType());
    NDArray width = hi.sub(lo);
    NDArray point = lo.add(width.mul(manager.randomUniform(0, 1, stacked, lower.getDataType())));
    double rate = Math.max(0.2, 2.0 / steps);
    for (int s = 0; s < steps; s++) {
      try (NDManager scope = manager.newSubManager()) {
        NDArray z = point.duplicate();
        z.attach(scope);
        NDArray gradient;
        try (GradientCollector collector = Gradients.collector()) {
          z.setRequiresGradient(true);
          NDArray logits = ConcreteDomain.forward(classifier, last + 1, z, stats);
          collector.backward(logits.mul(direction).sum());
          gradient = z.getGradient().duplicate();
        }
        NDArray next = z.stopGradient().add(gradient.sign().mul(width)
            .mul(Constants.scalar(gradient, (float) rate))).maximum(lo).minimum(hi);
        next.attach(manager);
        point.close();
        point = next;
      }
    }
    return point.reshape(new Shape(classes).addAll(lower.getShape()));
  }

  /**
   * {@code e_i - e_t} for search {@code i} of example {@code n}: {@code [K * N, K]}, search-major
   * (0 for {@code i = t}).
   */
  private static NDArray directions(NDArray labels, int classes, DataType type) {
    NDManager m = labels.getManager();
    long n = labels.getShape().get(0);
    NDArray target = labels.oneHot(classes).toType(type, false).expandDims(0)
        .broadcast(new Shape(classes, n, classes));
    NDArray own = m.eye(classes, classes, 0, type).expandDims(1)
        .broadcast(new Shape(classes, n, classes));
    return own.sub(target).reshape(classes * n, classes);
  }

  @Override
  public StepLoss loss(StepInput step, NDList points) {
    return loss(step, ball(step), points == null ? null : points.get(0));
  }

  /**
   * The step's loss over {@code region}: with {@code points} (from {@link #points} over the
   * same region) the TAPS loss, without them IBP training's.
   */
  StepLoss loss(StepInput step, InputSet region, NDArray points) {
    if (points == null) {
      IbpTraining.Terms terms = IbpTraining.Terms.of(step, region, regularizerWeight, 1);
      return terms.step(terms.robustLoss(), robustWeight);
    }
    Network network = step.network();
    int last = split(network);
    NDArray clean = ConcreteDomain.forward(network, step.x(), step.stats());
    NDArray cleanLoss = Losses.crossEntropy(clean, step.labels());
    int classes = (int) clean.getShape().get(1);
    SpecificationBounds bounds = new IntervalDomain(IntervalDomain.Rounding.NEAREST).bounds(
        network, region, new Specification.Margins(step.labels()), step.stats());
    NDArray ibpLoss = Losses.robustCrossEntropy(bounds.lower(), step.labels());
    Box latent = bounds.boxes().of(last);
    NDArray estimated = estimatedMargins(network, last, latent.lower(), latent.upper(), points,
        step.labels(), classes, step.stats());
    NDArray tapsLoss = scaledGradient(Losses.robustCrossEntropy(estimated, step.labels()),
        gradientScale);
    NDArray robust = tapsLoss.mul(ibpLoss);
    NDArray loss = IbpTraining.mixed(cleanLoss, robust, robustWeight);
    return new StepLoss(loss, clean, OptionalLong.of(IbpTraining.certifiedCount(bounds.lower())));
  }

  /**
   * The margins {@code g(z_i)_t - g(z_i)_i} at the searched points, connected to the box,
   * {@code [N, K]} (0 at the label): TAPS's estimate of the margin lower bounds.
   */
  private NDArray estimatedMargins(Network network, int last, NDArray lower, NDArray upper,
      NDArray points, NDArray labels, int classes, BatchStatistics stats) {
    long n = lower.getShape().get(0);
    Shape shape = new Shape(classes).addAll(lower.getShape());
    NDArray l = lower.expandDims(0).broadcast(shape);
    NDArray u = upper.expandDims(0).broadcast(shape);
    NDArray z = connected(points, l, u, connector);
    Shape stacked = new Shape(classes * n).addAll(lower.getShape().slice(1));
    List<Layer> classifier = network.layers().subList(last + 1, network.layers().size());
    NDArray logits = ConcreteDomain.forward(classifier, last + 1, z.reshape(stacked), stats);
    NDArray direction = directions(labels, classes, logits.getDataType());
    // Search i's margin y_t - y_i: minus (e_i - e_t) . y, then [K, N] -> [N, K].
    return logits.mul(direction).sum(new int[] {1}).neg().reshape(classes, n).transpose();
  }

  /**
   * The rectified linear gradient connector: the value of {@code points} (clipped into the box),
   * with gradients to {@code upper} of {@code max(0, (p - (u - c w)) / (c w))} and to
   * {@code lower} of {@code max(0, ((l + c w) - p) / (c w))}, {@code w = u - l}, and none to the
   * points.
   */
  static NDArray connected(NDArray points, NDArray lower, NDArray upper, double c) {
    NDArray l = lower.stopGradient();
    NDArray u = upper.stopGradient();
    NDArray p = points.stopGradient().maximum(l).minimum(u);
    NDArray band = u.sub(l).mul(Constants.scalar(u, (float) c));
    NDArray zero = Constants.scalar(u, 0);
    NDArray safe = band.maximum(Constants.scalar(band, Float.MIN_NORMAL));
    NDArray toUpper = p.sub(u.sub(band)).div(safe).maximum(zero).minimum(Constants.scalar(u, 1));
    NDArray toLower = l.add(band).sub(p).div(safe).maximum(zero).minimum(Constants.scalar(u, 1));
    return p.add(upper.sub(u).mul(toUpper)).add(lower.sub(l).mul(toLower));
  }

  /** {@code x} with its gradient multiplied by {@code w}: {@code w x - (w - 1) x}, detached. */
  static NDArray scaledGradient(NDArray x, double w) {
    return w == 1 ? x : x.mul(Constants.scalar(x, (float) w))
        .sub(x.stopGradient().mul(Constants.scalar(x, (float) (w - 1))));
  }
}
