package org.certkit.eval;

/**
 * Accuracy of a network on a test set, clean, under PGD and certified by IBP.
 *
 * @param samples number of test examples evaluated
 * @param eps L-infinity radius in [0, 1] pixel space
 * @param cleanAccuracy share classified correctly
 * @param pgdAccuracy share still classified correctly at the strongest PGD point found
 * @param certifiedAccuracy share with a sound IBP certificate
 * @param certifiedButAttacked examples certified yet misclassified under PGD; always 0 unless
 *     something is broken, reported as a consistency check
 * @param pgdSteps PGD steps per restart
 * @param pgdRestarts PGD restarts
 * @param soundness how floating-point rounding is accounted for in the certificates
 * @param seconds wall-clock time of the evaluation
 */
public record RobustnessReport(
    int samples,
    double eps,
    double cleanAccuracy,
    double pgdAccuracy,
    double certifiedAccuracy,
    int certifiedButAttacked,
    int pgdSteps,
    int pgdRestarts,
    String soundness,
    double seconds) {}
