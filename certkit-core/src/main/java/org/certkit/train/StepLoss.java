package org.certkit.train;

import ai.djl.ndarray.NDArray;
import java.util.OptionalLong;

/**
 * What a {@link TrainingMethod} returns for one step.
 *
 * @param loss the scalar to minimise
 * @param cleanLogits logits of the clean batch {@code [N, K]}, for the running accuracy
 * @param robustCorrect examples counted robust by the method's own bound or attack; empty when
 *     the method has no such notion or did not measure it in this step
 */
public record StepLoss(NDArray loss, NDArray cleanLogits, OptionalLong robustCorrect) {

  /** A step without a robustness count. */
  public static StepLoss clean(NDArray loss, NDArray cleanLogits) {
    return new StepLoss(loss, cleanLogits, OptionalLong.empty());
  }

  /** A step that counted {@code robustCorrect} examples robust. */
  public static StepLoss robust(NDArray loss, NDArray cleanLogits, long robustCorrect) {
    return new StepLoss(loss, cleanLogits, OptionalLong.of(robustCorrect));
  }
}
