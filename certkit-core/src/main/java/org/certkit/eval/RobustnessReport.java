package org.certkit.eval;

import java.util.Map;

/**
 * Accuracy of a network on a test set, clean, under PGD and certified by IBP, and the PGD
 * robustness of its predictions.
 *
 * @param samples number of test examples evaluated
 * @param eps L-infinity radius in [0, 1] pixel space
 * @param cleanAccuracy share classified correctly
 * @param pgdAccuracy share still classified correctly at the strongest PGD point found
 * @param pgdRobustness share whose predicted class PGD did not change, correct or not: the
 *     "PGD robustness" of Alsubaihi et al. (Expected Tight Bounds, section 4 and rebuttal), the
 *     attack aiming at the network's own clean prediction rather than the label; at least
 *     {@link #pgdAccuracy} (both come from the same attack)
 * @param certifiedAccuracy share with a sound certificate (of the evaluator's method)
 * @param certifiedButAttacked examples certified yet misclassified under PGD; always 0 unless
 *     something is broken, reported as a consistency check
 * @param pgdSteps PGD steps per restart
 * @param pgdRestarts PGD restarts
 * @param soundness how floating-point rounding is accounted for in the certificates
 * @param seconds wall-clock time of the evaluation
 * @param certifiedBy how many certificates each method of the cascade gave (method name to
 *     count, in the order the methods first decided an example; empty when nothing was
 *     certified or no certifier ran)
 * @param margins the distribution of the lowest certified margin bound over the examples that
 *     have one, or null when no certifier ran
 */
public record RobustnessReport(
    int samples,
    double eps,
    double cleanAccuracy,
    double pgdAccuracy,
    double pgdRobustness,
    double certifiedAccuracy,
    int certifiedButAttacked,
    int pgdSteps,
    int pgdRestarts,
    String soundness,
    double seconds,
    Map<String, Integer> certifiedBy,
    Histogram margins) {

  /** Copies the method counts, keeping their order. */
  public RobustnessReport {
    certifiedBy = certifiedBy == null ? Map.of()
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(certifiedBy));
  }
}
