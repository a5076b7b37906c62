package org.certkit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.function.IntConsumer;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.Certifier;
import org.certkit.certify.Verdict;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Measures clean, PGD and certified accuracy and PGD robustness of a network on the first
 * {@code n} examples of a dataset, in evaluation mode (BatchNorm running statistics), one
 * sub-manager per batch.
 *
 * <p>The attack aims at each example's clean prediction, not at its label. One attack thus gives
 * both measures: PGD robustness counts the examples whose prediction it did not change, PGD
 * accuracy those that are also correctly classified. For a correctly classified example the
 * prediction is the label, so PGD accuracy is what an attack on the labels gives (the attack of
 * one example does not depend on the targets of the others: BatchNorm runs on running
 * statistics).
 *
 * @param attack the PGD attack, or null to skip the attack (PGD accuracy and robustness are
 *     then NaN)
 * @param certification the bounds that certify, or null to skip certification (certified
 *     accuracy is then NaN)
 * @param batchSize examples per batch
 */
public record RobustnessEvaluator(PgdAttack attack, Certifier.Method certification,
    int batchSize) {

  /**
   * Evaluates the network.
   *
   * @param n number of examples from the start of the dataset (all when larger)
   * @param eps radius in pixel space
   * @param progress receives the number of examples finished after each batch
   */
  public RobustnessReport evaluate(Network network, ImageDataset data, int n, double eps,
      NDManager manager, IntConsumer progress) {
    long start = System.nanoTime();
    int total = Math.min(n, data.size());
    boolean certify = certification != null;
    Certifier certifier = certify ? new Certifier(certification) : null;
    int clean = 0;
    int robust = 0;
    int unchanged = 0;
    int certified = 0;
    int inconsistent = 0;
    BatchStatistics eval = BatchStatistics.evaluation();
    int done = 0;
    for (int[] indices : data.subset(total).batches(batchSize, null)) {
      int size = indices.length;
      try (NDManager batch = manager.newSubManager()) {
        NDArray x = data.images(batch, indices);
        NDArray y = data.labels(batch, indices);
        NDArray predicted = ConcreteDomain.forward(network, x, eval).argMax(1)
            .toType(DataType.INT64, false);
        boolean[] correct = matches(predicted, y);
        boolean[] stable = new boolean[size];
        boolean[] survives = correct;
        if (attack != null) {
          NDArray adversarial = attack.attack(network, x, predicted, eps, eval);
          stable = matches(ConcreteDomain.forward(network, adversarial, eval).argMax(1),
              predicted);
          survives = new boolean[size];
          for (int i = 0; i < size; i++) {
            survives[i] = correct[i] && stable[i];
          }
        }
        Verdict[] verdicts = certify ? certifier.certify(network, x, y, eps) : null;
        for (int i = 0; i < size; i++) {
          clean += correct[i] ? 1 : 0;
          robust += survives[i] ? 1 : 0;
          unchanged += stable[i] ? 1 : 0;
          boolean isCertified = verdicts != null && verdicts[i].isCertified();
          certified += isCertified ? 1 : 0;
          inconsistent += isCertified && !survives[i] ? 1 : 0;
        }
      }
      done += size;
      progress.accept(done);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new RobustnessReport(total, eps, (double) clean / total,
        attack == null ? Double.NaN : (double) robust / total,
        attack == null ? Double.NaN : (double) unchanged / total,
        certify ? (double) certified / total : Double.NaN,
        inconsistent, attack == null ? 0 : attack.steps(), attack == null ? 0 : attack.restarts(),
        certify ? certifier.soundnessNote() : "not certified", seconds);
  }

  /** Element-wise equality of two class-index vectors {@code [N]}. */
  private static boolean[] matches(NDArray classes, NDArray labels) {
    long[] predicted = classes.toType(DataType.INT64, false).toLongArray();
    long[] label = labels.toType(DataType.INT64, false).toLongArray();
    boolean[] out = new boolean[predicted.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = predicted[i] == label[i];
    }
    return out;
  }
}
