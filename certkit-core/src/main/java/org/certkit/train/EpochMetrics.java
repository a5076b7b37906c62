package org.certkit.train;

/**
 * What one training epoch measured.
 *
 * @param epoch 0-indexed epoch
 * @param eps epsilon at the end of the epoch
 * @param learningRate learning rate during the epoch
 * @param loss mean training loss
 * @param trainAccuracy running clean accuracy on the training batches
 * @param trainRobustAccuracy running share the method counted robust (IBP bound or PGD), or NaN
 * @param testAccuracy clean accuracy measured by the trainer's {@link EpochEvaluation} (such as
 *     {@link TestSetEvaluation}), or NaN when it measured none
 * @param testCertifiedAccuracy sound IBP-certified accuracy at the target epsilon measured by the
 *     evaluation, or NaN when none
 * @param testTightness mean local propagation tightness (Definition 3.6 of Mao et al.) measured
 *     by the evaluation (on up to {@link TestSetEvaluation#TIGHTNESS_SAMPLES} examples for
 *     {@link TestSetEvaluation}), or NaN when none
 * @param gradientNorm mean gradient L2 norm before clipping, over the steps taken
 * @param skippedSteps steps whose loss or gradient was not finite, so no update was made
 * @param seconds wall-clock time of the epoch, evaluation included
 */
public record EpochMetrics(
    int epoch,
    double eps,
    double learningRate,
    double loss,
    double trainAccuracy,
    double trainRobustAccuracy,
    double testAccuracy,
    double testCertifiedAccuracy,
    double testTightness,
    double gradientNorm,
    int skippedSteps,
    double seconds) {}
