package org.certkit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.certkit.attack.PgdAttack;
import org.certkit.certify.BranchAndBound;
import org.certkit.certify.Certifier;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

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
 * <p>Examples that are misclassified or that the attack broke skip the certifier's costly
 * stages (alpha-CROWN, branch and bound: {@link Certifier#decide(Network, InputSet,
 * Specification, boolean[])}); a float32 point across the decision boundary leaves them
 * uncertifiable but for a margin within rounding of 0, so this costs no certified example.
 *
 * @param attack the PGD attack, or null to skip the attack (PGD accuracy and robustness are
 *     then NaN)
 * @param certification the bounds that certify, or null to skip certification (certified
 *     accuracy is then NaN)
 * @param batchSize examples per batch
 * @param babLimit the time limit per example of {@link Certifier.Method#BAB}
 * @param arithmetic the arithmetic of the linear bounds
 * @param leaf the exact leaf of {@link Certifier.Method#BAB}'s search, or null for none
 */
public record RobustnessEvaluator(PgdAttack attack, Certifier.Method certification,
    int batchSize, java.time.Duration babLimit,
    org.certkit.domain.LinearBoundDomain.SoundArithmetic arithmetic, BranchAndBound.Leaf leaf) {

  /** An evaluator whose branch and bound has no exact leaf. */
  public RobustnessEvaluator(PgdAttack attack, Certifier.Method certification, int batchSize,
      java.time.Duration babLimit,
      org.certkit.domain.LinearBoundDomain.SoundArithmetic arithmetic) {
    this(attack, certification, batchSize, babLimit, arithmetic, null);
  }

  /** An evaluator whose linear bounds compute in float64. */
  public RobustnessEvaluator(PgdAttack attack, Certifier.Method certification, int batchSize,
      java.time.Duration babLimit) {
    this(attack, certification, batchSize, babLimit,
        org.certkit.domain.LinearBoundDomain.SoundArithmetic.FLOAT64);
  }

  /** An evaluator with {@link Certifier#DEFAULT_BAB_LIMIT}, linear bounds in float64. */
  public RobustnessEvaluator(PgdAttack attack, Certifier.Method certification, int batchSize) {
    this(attack, certification, batchSize, Certifier.DEFAULT_BAB_LIMIT);
  }

  /**
   * Evaluates the network.
   *
   * @param n number of examples from the start of the dataset (all when larger)
   * @param eps radius in pixel space
   * @param progress receives the number of examples finished after each batch
   */
  public RobustnessReport evaluate(Network network, ImageDataset data, int n, double eps,
      NDManager manager, IntConsumer progress) {
    return evaluate(network, data, n, eps, manager, progress, example -> { });
  }

  /**
   * The result for one example.
   *
   * @param index position in the dataset
   * @param pgdSurvives correct and not changed by the attack (true when there is no attack and
   *     the example is correct)
   * @param predictionKept the attack did not change the prediction (false without an attack)
   * @param verdict {@code certified} or {@code unknown}, or empty without certification
   * @param method the method whose bounds decided, or empty
   * @param lowestBound the lowest margin lower bound in that method, or NaN
   * @param seconds the example's share of its batch's time
   */
  public record ExampleResult(int index, int label, boolean correct, boolean pgdSurvives,
      boolean predictionKept, String verdict, String method, double lowestBound,
      double seconds) implements java.io.Serializable {

    /** Whether the example was certified. */
    public boolean certified() {
      return verdict.equals("certified");
    }
  }

  /**
   * As {@link #evaluate(Network, ImageDataset, int, double, NDManager, IntConsumer)}, handing
   * every example's result to {@code perExample}, in order.
   */
  public RobustnessReport evaluate(Network network, ImageDataset data, int n, double eps,
      NDManager manager, IntConsumer progress, Consumer<ExampleResult> perExample) {
    long start = System.nanoTime();
    int total = Math.min(n, data.size());
    List<ExampleResult> results = examples(network, data, 0, total, eps, manager, progress);
    results.forEach(perExample);
    return report(results, eps, (System.nanoTime() - start) / 1e9);
  }

  /**
   * The results of the examples {@code from} (inclusive) to {@code to} (exclusive), in batches
   * of {@link #batchSize} from {@code from}: ranges that start at multiples of the batch size
   * see the batches of one run over the whole set, so their results are the same.
   *
   * @param progress receives the number of the range's examples finished after each batch
   */
  public List<ExampleResult> examples(Network network, ImageDataset data, int from, int to,
      double eps, NDManager manager, IntConsumer progress) {
    boolean certify = certification != null;
    Certifier certifier = certify ? new Certifier(certification, babLimit, arithmetic, leaf)
        : null;
    BatchStatistics eval = BatchStatistics.evaluation();
    List<ExampleResult> out = new ArrayList<>(Math.max(0, to - from));
    for (int first = from; first < to; first += batchSize) {
      int size = Math.min(batchSize, to - first);
      int[] indices = java.util.stream.IntStream.range(first, first + size).toArray();
      long batchStart = System.nanoTime();
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
        boolean[] refuted = new boolean[size];
        for (int i = 0; i < size; i++) {
          refuted[i] = !survives[i];
        }
        Certifier.Decision[] decisions = certify ? certifier.decide(network,
            InputSet.LinfBall.pixels(x, eps), new Specification.Margins(y), refuted) : null;
        long[] labels = y.toLongArray();
        double share = (System.nanoTime() - batchStart) / 1e9 / size;
        for (int i = 0; i < size; i++) {
          boolean isCertified = decisions != null && decisions[i].verdict().isCertified();
          out.add(new ExampleResult(indices[i], (int) labels[i], correct[i], survives[i],
              stable[i], decisions == null ? "" : isCertified ? "certified" : "unknown",
              decisions == null ? "" : decisions[i].method().label(),
              decisions == null ? Double.NaN : decisions[i].lowestBound(), share));
        }
      }
      progress.accept(first + size - from);
    }
    return out;
  }

  /** Bins of the margin histogram of a report. */
  static final int MARGIN_BINS = 40;

  /**
   * The report of {@code results} (one per example, any order, as {@link #examples} gives them
   * for any split of the examples into ranges).
   *
   * @param seconds the wall-clock time to report
   */
  public RobustnessReport report(List<ExampleResult> results, double eps, double seconds) {
    int total = results.size();
    boolean certify = certification != null;
    int clean = 0;
    int robust = 0;
    int unchanged = 0;
    int certified = 0;
    int inconsistent = 0;
    Map<String, Integer> certifiedBy = new LinkedHashMap<>();
    for (ExampleResult r : results) {
      if (r.certified()) {
        certifiedBy.merge(r.method(), 1, Integer::sum);
      }
      clean += r.correct() ? 1 : 0;
      robust += r.pgdSurvives() ? 1 : 0;
      unchanged += r.predictionKept() ? 1 : 0;
      certified += r.certified() ? 1 : 0;
      inconsistent += r.certified() && !r.pgdSurvives() ? 1 : 0;
    }
    return new RobustnessReport(total, eps, (double) clean / total,
        attack == null ? Double.NaN : (double) robust / total,
        attack == null ? Double.NaN : (double) unchanged / total,
        certify ? (double) certified / total : Double.NaN,
        inconsistent, attack == null ? 0 : attack.steps(), attack == null ? 0 : attack.restarts(),
        certify ? new Certifier(certification, babLimit, arithmetic, leaf).soundnessNote()
            : "not certified",
        seconds, certifiedBy, certify ? Histogram.of(results.stream()
            .mapToDouble(ExampleResult::lowestBound).toArray(), MARGIN_BINS) : null);
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
