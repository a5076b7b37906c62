package org.certkit.train;

import ai.djl.ndarray.NDArray;

/**
 * What a {@link TrainingMethod} returns for one step.
 *
 * @param loss the scalar to minimise
 * @param cleanLogits logits of the clean batch {@code [N, K]}, for the running accuracy
 * @param robustCorrect examples counted robust by the method's own bound or attack, or -1 when
 *     the method has no such notion
 */
public record StepLoss(NDArray loss, NDArray cleanLogits, long robustCorrect) {}
