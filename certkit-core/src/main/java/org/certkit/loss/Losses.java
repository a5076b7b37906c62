package org.certkit.loss;

import ai.djl.ndarray.NDArray;

/** Classification losses on logits, shared by training methods and attacks. */
public final class Losses {

  private Losses() {}

  /**
   * Cross-entropy of each example.
   *
   * @param logits {@code [N, K]}
   * @param labels int64 {@code [N]}
   * @return {@code [N]}
   */
  public static NDArray crossEntropyPerExample(NDArray logits, NDArray labels) {
    return selected(logits.logSoftmax(1), labels).neg();
  }

  /** Mean cross-entropy over the batch, a scalar. */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    return crossEntropyPerExample(logits, labels).mean();
  }

  /**
   * Cross-entropy of worst-case logits built from margin lower bounds: logit {@code k} is
   * {@code -lower[k]} where {@code lower[k]} bounds {@code y_target - y_k} from below (0 for the
   * target). This is the robust loss of Gowal et al. and Shi et al. with last-layer elision.
   *
   * @param marginLower {@code [N, K]}
   * @param labels int64 {@code [N]}
   */
  public static NDArray robustCrossEntropy(NDArray marginLower, NDArray labels) {
    return crossEntropy(marginLower.neg(), labels);
  }

  /**
   * The entry of each row at its label.
   *
   * @param values {@code [N, K]}
   * @param labels int64 {@code [N]}
   * @return {@code [N]}
   */
  public static NDArray selected(NDArray values, NDArray labels) {
    NDArray oneHot = labels.oneHot((int) values.getShape().get(1)).toType(values.getDataType(),
        false);
    return values.mul(oneHot).sum(new int[] {1});
  }

  /** Number of examples whose arg-max logit equals the label. */
  public static long correctCount(NDArray logits, NDArray labels) {
    return logits.argMax(1).eq(labels).sum().getLong();
  }
}
