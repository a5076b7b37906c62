package org.certkit.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.Objects;
import org.certkit.data.Augmentation;
import org.certkit.io.Json;
import org.certkit.net.Initialization;

/**
 * Every hyper-parameter of a training run in one typed value; checkpoints and metric logs record
 * it as it is, so a run's provenance is derived from the configuration that drove it. Its JSON
 * form (Jackson, {@link org.certkit.io.Json#MAPPER}) is also the run config that
 * {@code certkit train --config} reads; the method is an object tagged by its {@code type}.
 *
 * @param method the training method, with its own hyper-parameters and epsilon rule
 * @param eps target training epsilon in [0, 1] pixel space
 * @param epochs number of epochs
 * @param batchSize examples per step
 * @param learningRate the learning-rate schedule (Adam)
 * @param epsRampStart first epoch (0-indexed) of the smoothed epsilon ramp, for methods that ramp
 * @param epsRampEpochs length of the ramp in epochs, for methods that ramp
 * @param gradientClipNorm maximum joint L2 norm of the gradients, or 0 for none
 * @param seed seeds initialisation, shuffling and the engine's random numbers
 * @param initialization how the network was initialised (recorded; the trainer does not re-init)
 * @param augmentation image augmentation of the training batches
 * @param weightDecay coefficient {@code lambda} of the L2 penalty {@code lambda/2 |w|^2} on every
 *     parameter, coupled as in {@code torch.optim.Adam(weight_decay=lambda)}: the optimiser adds
 *     {@code lambda w} to each gradient (after clipping), so the decay passes through Adam's
 *     moment estimates; 0 for none
 */
public record TrainingConfig(
    TrainingMethod method,
    double eps,
    int epochs,
    int batchSize,
    LearningRateSchedule learningRate,
    int epsRampStart,
    int epsRampEpochs,
    double gradientClipNorm,
    long seed,
    Initialization initialization,
    Augmentation augmentation,
    double weightDecay) {

  /** Validates the combination. */
  public TrainingConfig {
    Objects.requireNonNull(method, "a training config needs a method");
    Objects.requireNonNull(learningRate, "a training config needs a learning-rate schedule");
    Objects.requireNonNull(initialization, "a training config needs an initialization");
    Objects.requireNonNull(augmentation, "a training config needs an augmentation");
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
   * batch 256, Adam, gradients clipped to L2 norm 10, IBP initialisation for IBP training.
   * {@code epochs} scales every milestone proportionally, keeping the shape.
   */
  public static TrainingConfig mnist(TrainingMethod method, double eps, int epochs, long seed) {
    return scaled(method, eps, epochs, seed, 70, 0, 20, new int[] {50, 60}, 256,
        Augmentation.NONE);
  }

  /**
   * The CIFAR-10 schedule of the same appendix: 160 epochs, one epoch of standard training, an
   * 80-epoch smooth ramp, decays by 0.2 at 120 and 140, batch 128, random crops with 2-pixel
   * padding and horizontal flips; scaled like {@link #mnist}.
   */
  public static TrainingConfig cifar10(TrainingMethod method, double eps, int epochs, long seed) {
    return scaled(method, eps, epochs, seed, 160, 1, 80, new int[] {120, 140}, 128,
        Augmentation.CIFAR10);
  }

  private static TrainingConfig scaled(TrainingMethod method, double eps, int epochs, long seed,
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
    Initialization init = method instanceof IbpTraining || method instanceof SabrTraining
        || method instanceof MtlIbpTraining || method instanceof TapsTraining
        || method instanceof StapsTraining ? Initialization.IBP : Initialization.DEFAULT;
    return new TrainingConfig(method, eps, epochs, batchSize,
        new LearningRateSchedule(5e-4, scaledDecays, 0.2), start, length, 10.0, seed, init,
        augmentation, 0.0);
  }

  /**
   * A configuration from its JSON form (as {@link org.certkit.io.Json#MAPPER} writes it, the
   * {@code config} of a metrics file). Every field is required, unknown fields are rejected, and
   * the values are validated as by the constructors.
   *
   * @throws JsonProcessingException naming the missing, unknown or invalid field
   * @throws IllegalArgumentException when the method is a name, as in earlier metrics files
   */
  public static TrainingConfig fromJson(JsonNode json) throws JsonProcessingException {
    JsonNode method = json.get("method");
    if (method != null && method.isTextual()) {
      throw new IllegalArgumentException("method \"" + method.asText() + "\" is a name, as in"
          + " configs recorded before methods carried their own hyper-parameters; write it as an"
          + " object such as {\"type\": \"ibp\", \"robustWeight\": 1.0,"
          + " \"regularizerWeight\": 0.5} and drop pgd, robustWeight, regularizerWeight and"
          + " kappa from the top level");
    }
    return READER.treeToValue(json, TrainingConfig.class);
  }

  private static final ObjectReader READER = Json.MAPPER.readerFor(TrainingConfig.class)
      .with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
          DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES,
          DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The epsilon schedule of this run: the method's rule applied to the target and the ramp. */
  public EpsilonSchedule epsilonSchedule() {
    return method.epsilonSchedule(eps, epsRampStart, epsRampEpochs);
  }

  /** A builder starting from this configuration, to change a few fields. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Changes some fields of a {@link TrainingConfig}; {@link #build} validates the result. Each
   * setter returns this builder.
   */
  public static final class Builder {
    private TrainingMethod method;
    private double eps;
    private int epochs;
    private int batchSize;
    private LearningRateSchedule learningRate;
    private int epsRampStart;
    private int epsRampEpochs;
    private double gradientClipNorm;
    private long seed;
    private Initialization initialization;
    private Augmentation augmentation;
    private double weightDecay;

    private Builder(TrainingConfig c) {
      method = c.method;
      eps = c.eps;
      epochs = c.epochs;
      batchSize = c.batchSize;
      learningRate = c.learningRate;
      epsRampStart = c.epsRampStart;
      epsRampEpochs = c.epsRampEpochs;
      gradientClipNorm = c.gradientClipNorm;
      seed = c.seed;
      initialization = c.initialization;
      augmentation = c.augmentation;
      weightDecay = c.weightDecay;
    }

    /** Another training method. */
    public Builder method(TrainingMethod newMethod) {
      method = newMethod;
      return this;
    }

    /** Another batch size. */
    public Builder batchSize(int newBatchSize) {
      batchSize = newBatchSize;
      return this;
    }

    /** Another learning-rate schedule. */
    public Builder learningRate(LearningRateSchedule schedule) {
      learningRate = schedule;
      return this;
    }

    /** Another initial learning rate, keeping the decay epochs and factor. */
    public Builder initialLearningRate(double initial) {
      learningRate = new LearningRateSchedule(initial, learningRate.decayEpochs(),
          learningRate.factor());
      return this;
    }

    /** Another epsilon ramp (first epoch and length in epochs). */
    public Builder epsilonRamp(int start, int length) {
      epsRampStart = start;
      epsRampEpochs = length;
      return this;
    }

    /**
     * Another L2 weight decay {@code lambda} (coupled, as torch's Adam {@code weight_decay}); 0
     * turns it off.
     */
    public Builder weightDecay(double lambda) {
      weightDecay = lambda;
      return this;
    }

    /** The configuration, validated. */
    public TrainingConfig build() {
      return new TrainingConfig(method, eps, epochs, batchSize, learningRate, epsRampStart,
          epsRampEpochs, gradientClipNorm, seed, initialization, augmentation, weightDecay);
    }
  }
}
