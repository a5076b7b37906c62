package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A certified or adversarial training method: its own hyper-parameters, the loss of one batch at
 * a given epsilon, and how its epsilon is scheduled.
 *
 * <p>The {@link Trainer} calls {@link #prepare} outside any gradient recording (for work such as
 * attacks, which need gradients of their own), then {@link #loss} while recording gradients of the
 * parameters. The first concrete pass over the clean batch inside {@link #loss} records the
 * BatchNorm statistics of the step.
 *
 * <p>In JSON (run configs, metrics files) a method is an object whose {@code type} is its
 * {@link #name()}, beside its hyper-parameters: {@code {"type": "ibp", "robustWeight": 1.0,
 * "regularizerWeight": 0.5}}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = StandardTraining.class, name = "standard"),
    @JsonSubTypes.Type(value = PgdTraining.class, name = "pgd"),
    @JsonSubTypes.Type(value = IbpTraining.class, name = "ibp"),
    @JsonSubTypes.Type(value = CrownIbpTraining.class, name = "crown-ibp"),
    @JsonSubTypes.Type(value = SabrTraining.class, name = "sabr"),
    @JsonSubTypes.Type(value = MtlIbpTraining.class, name = "mtl-ibp"),
    @JsonSubTypes.Type(value = TapsTraining.class, name = "taps"),
    @JsonSubTypes.Type(value = StapsTraining.class, name = "staps"),
    @JsonSubTypes.Type(value = ColtTraining.class, name = "colt"),
    @JsonSubTypes.Type(value = ExpectedBoundsTraining.class, name = "expected-bounds")})
public sealed interface TrainingMethod
    permits StandardTraining, PgdTraining, IbpTraining, CrownIbpTraining, SabrTraining,
        MtlIbpTraining, TapsTraining, StapsTraining, ColtTraining, ExpectedBoundsTraining {

  /** The identifier on the command line and in JSON, such as {@code expected-bounds}. */
  String name();

  /**
   * The epsilon schedule this method trains with, given the run's target and smoothed ramp: the
   * ramp itself unless the method trains at the target from the first step.
   *
   * @param target final epsilon, [0, 1] pixel space
   * @param rampStart first epoch (0-indexed) of the ramp
   * @param rampEpochs length of the ramp in epochs
   */
  default EpsilonSchedule epsilonSchedule(double target, int rampStart, int rampEpochs) {
    return new EpsilonSchedule(target, rampStart, rampEpochs);
  }

  /**
   * Work done before gradients are recorded (attacks, which need gradients of their own); the
   * result is handed to {@link #loss}.
   *
   * @return arrays owned by the step's manager, or null
   */
  default NDList prepare(StepInput step) {
    return null;
  }

  /**
   * Whether the loss makes one pass over the batch, a concrete one (no attack, no bounds): then
   * BatchNorm's batch statistics need not exist as arrays of their own
   * ({@link org.certkit.net.BatchStatistics#trainingFused()}).
   */
  default boolean singleConcretePass() {
    return false;
  }

  /** The loss of the step, computed while parameter gradients are recorded. */
  StepLoss loss(StepInput step, NDList prepared);
}
