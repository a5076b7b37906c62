package org.certkit.train;

import org.certkit.attack.PgdAttack;
import org.certkit.data.Augmentation;
import org.certkit.net.Initialization;

/**
 * Every hyper-parameter of a training run in one typed value; checkpoints and metric logs record
 * it as it is, so a run's provenance is derived from the configuration that drove it.
 *
 * @param method the training method
 * @param eps target training epsilon in [0, 1] pixel space
 * @param epochs number of epochs
 * @param batchSize examples per step
 * @param learningRate the learning-rate schedule (Adam)
 * @param epsRampStart first epoch (0-indexed) of the smoothed epsilon ramp
 * @param epsRampEpochs length of the ramp in epochs
 * @param gradientClipNorm maximum joint L2 norm of the gradients, or 0 for none
 * @param seed seeds initialisation, shuffling and the engine's random numbers
 * @param initialization how the network was initialised (recorded; the trainer does not re-init)
 * @param pgd the attack of PGD training
 * @param robustWeight weight of the robust loss for IBP training
 * @param regularizerWeight lambda of the warm-up regulariser for IBP training
 * @param augmentation image augmentation of the training batches
 * @param kappa weight of the bound loss for expected-bound training
 * @param weightDecay coefficient {@code lambda} of the L2 penalty {@code lambda/2 |w|^2} on every
 *     parameter, coupled as in {@code torch.optim.Adam(weight_decay=lambda)}: the optimiser adds
 *     {@code lambda w} to each gradient (after clipping), so the decay passes through Adam's
 *     moment estimates; 0 for none
 */
public record TrainingConfig(
    Method method,
    double eps,
    int epochs,
    int batchSize,
    LearningRateSchedule learningRate,
    int epsRampStart,
    int epsRampEpochs,
    double gradientClipNorm,
    long seed,
    Initialization initialization,
    PgdAttack pgd,
    double robustWeight,
    double regularizerWeight,
    Augmentation augmentation,
    double kappa,
    double weightDecay) {

  /** Training methods the trainer knows. */
  public enum Method {
    /** Clean cross-entropy. */
    STANDARD,
    /** PGD adversarial training. */
    PGD,
    /** IBP certified training (Shi et al. 2021). */
    IBP,
    /** Training with the expected blockwise bounds of Alsubaihi et al. (not certified). */
    EXPECTED_BOUNDS;

    /** Lower-case identifier used on the command line, such as {@code expected-bounds}. */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The method with this identifier. */
    public static Method parse(String id) {
      for (Method m : values()) {
        if (m.id().equalsIgnoreCase(id)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown method '" + id + "'; known: standard, pgd,"
          + " ibp, expected-bounds");
    }
  }

  /** Validates the combination. */
  public TrainingConfig {
    if (!(eps >= 0 && eps <= 1)) {
      throw new IllegalArgumentException("eps must be in [0, 1] (pixel space), got " + eps);
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    if (gradientClipNorm < 0) {
      throw new IllegalArgumentException("gradient clip norm must be >= 0, got "
          + gradientClipNorm);
    }
    if (epsRampStart < 0 || epsRampEpochs < 0) {
      throw new IllegalArgumentException("epsilon ramp start and length must be >= 0");
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weight decay must be finite and >= 0, got "
          + weightDecay);
    }
  }

  /**
   * The MNIST schedule of the first paper's appendix C.3 (after Shi et al.): 70 epochs, epsilon
   * ramped smoothly over the first 20, learning rate 5e-4 decayed by 0.2 at epochs 50 and 60,
   * batch 256, Adam, gradients clipped to L2 norm 10, IBP initialisation, regulariser weight 0.5.
   * {@code epochs} scales every milestone proportionally, keeping the shape.
   */
  public static TrainingConfig mnist(Method method, double eps, int epochs, long seed) {
    return scaled(method, eps, epochs, seed, 70, 0, 20, new int[] {50, 60}, 256,
        Augmentation.NONE);
  }

  /**
   * The CIFAR-10 schedule of the same appendix: 160 epochs, one epoch of standard training, an
   * 80-epoch smooth ramp, decays by 0.2 at 120 and 140, batch 128, random crops with 2-pixel
   * padding and horizontal flips; scaled like {@link #mnist}.
   */
  public static TrainingConfig cifar10(Method method, double eps, int epochs, long seed) {
    return scaled(method, eps, epochs, seed, 160, 1, 80, new int[] {120, 140}, 128,
        Augmentation.CIFAR10);
  }

  private static TrainingConfig scaled(Method method, double eps, int epochs, long seed,
      int referenceEpochs, int rampStart, int rampLength, int[] decays, int batchSize,
      Augmentation augmentation) {
    double f = (double) epochs / referenceEpochs;
    int start = (int) Math.round(rampStart * f);
    int length = Math.max(1, (int) Math.round(rampLength * f));
    if (start + length > epochs) {
      start = 0;
      length = Math.max(1, Math.min(length, epochs));
    }
    int[] scaledDecays = new int[decays.length];
    for (int i = 0; i < decays.length; i++) {
      scaledDecays[i] = Math.max(start + length, (int) Math.round(decays[i] * f));
    }
    Initialization init = method == Method.IBP ? Initialization.IBP : Initialization.DEFAULT;
    return new TrainingConfig(method, eps, epochs, batchSize,
        new LearningRateSchedule(5e-4, scaledDecays, 0.2), start, length, 10.0, seed, init,
        new PgdAttack(10, 0.25, 1, true), 1.0, 0.5, augmentation, 1.0, 0.0);
  }

  /**
   * The epsilon schedule of this run: constant at the target for standard and expected-bound
   * training (the latter's paper uses no ramp), the smoothed ramp otherwise.
   */
  public EpsilonSchedule epsilonSchedule() {
    return method == Method.STANDARD || method == Method.EXPECTED_BOUNDS
        ? new EpsilonSchedule(eps, 0, 0)
        : new EpsilonSchedule(eps, epsRampStart, epsRampEpochs);
  }

  /** The training method object described by this configuration. */
  public TrainingMethod newMethod() {
    return switch (method) {
      case STANDARD -> new StandardTraining();
      case PGD -> new PgdTraining(pgd);
      case IBP -> new IbpTraining(robustWeight, regularizerWeight);
      case EXPECTED_BOUNDS -> new ExpectedBoundsTraining(kappa);
    };
  }

  /** A copy with another batch size. */
  public TrainingConfig withBatchSize(int newBatchSize) {
    return new TrainingConfig(method, eps, epochs, newBatchSize, learningRate, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, pgd, robustWeight,
        regularizerWeight, augmentation, kappa, weightDecay);
  }

  /** A copy with another learning-rate schedule. */
  public TrainingConfig withLearningRate(LearningRateSchedule schedule) {
    return new TrainingConfig(method, eps, epochs, batchSize, schedule, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, pgd, robustWeight,
        regularizerWeight, augmentation, kappa, weightDecay);
  }

  /** A copy with another epsilon ramp. */
  public TrainingConfig withEpsilonRamp(int start, int length) {
    return new TrainingConfig(method, eps, epochs, batchSize, learningRate, start, length,
        gradientClipNorm, seed, initialization, pgd, robustWeight, regularizerWeight,
        augmentation, kappa, weightDecay);
  }

  /** A copy with another PGD attack for PGD training. */
  public TrainingConfig withPgd(PgdAttack attack) {
    return new TrainingConfig(method, eps, epochs, batchSize, learningRate, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, attack, robustWeight,
        regularizerWeight, augmentation, kappa, weightDecay);
  }

  /** A copy with another bound-loss weight for expected-bound training. */
  public TrainingConfig withKappa(double newKappa) {
    return new TrainingConfig(method, eps, epochs, batchSize, learningRate, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, pgd, robustWeight,
        regularizerWeight, augmentation, newKappa, weightDecay);
  }

  /** A copy with other IBP loss weights. */
  public TrainingConfig withIbpWeights(double newRobustWeight, double newRegularizerWeight) {
    return new TrainingConfig(method, eps, epochs, batchSize, learningRate, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, pgd, newRobustWeight,
        newRegularizerWeight, augmentation, kappa, weightDecay);
  }

  /**
   * A copy with another L2 weight decay {@code lambda} (coupled, as torch's Adam
   * {@code weight_decay}); 0 turns it off.
   */
  public TrainingConfig withWeightDecay(double lambda) {
    return new TrainingConfig(method, eps, epochs, batchSize, learningRate, epsRampStart,
        epsRampEpochs, gradientClipNorm, seed, initialization, pgd, robustWeight,
        regularizerWeight, augmentation, kappa, lambda);
  }
}
