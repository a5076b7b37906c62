package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.certkit.bounds.Coverage;
import org.certkit.bounds.GaussianNetworks;
import org.certkit.bounds.Intervals;
import org.certkit.bounds.SampledBounds;
import org.certkit.domain.Box;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * The bounds of one random network over one random box, as compared throughout section 4 of
 * Alsubaihi et al. ("Expected Tight Bounds ..."): expected bounds {@code [L_M, U_M]} (unsound),
 * IBP bounds and, when asked for, the sampled estimate of the true interval.
 *
 * @param expected expected bounds (Eq. 3 / Eq. 6, or interval masks), centred at the network's
 *     clean output ({@link ExpectedBoundsDomain.Centre#CLEAN_OUTPUT})
 * @param expectedAffine the same bounds centred at the masked affine map ({@link
 *     ExpectedBoundsDomain.Centre#MASKED_AFFINE}), or null when not sampled
 * @param ibp interval bounds, round to nearest
 * @param sampled the sampled true interval, or null when not sampled
 */
record RandomNetworkTrial(Intervals expected, Intervals expectedAffine, Intervals ibp,
    Intervals sampled) {

  /**
   * Bounds {@code network} over {@code box} (one example) with the given mask rule, and samples
   * its true interval with {@code sampler} (null for none) seeded by {@code seed}; the bounds
   * centred at the masked affine map are computed only when sampling. Intermediate
   * arrays belong to the box's manager: give each trial a sub-manager of its own.
   */
  static RandomNetworkTrial run(Network network, Box box, ExpectedBoundsDomain.MaskRule rule,
      SampledBounds sampler, long seed) {
    Intervals expected = Intervals.of(new ExpectedBoundsDomain(rule,
        ExpectedBoundsDomain.Centre.CLEAN_OUTPUT).propagate(network, box));
    Intervals affine = sampler == null ? null : Intervals.of(new ExpectedBoundsDomain(rule,
        ExpectedBoundsDomain.Centre.MASKED_AFFINE).propagate(network, box));
    Intervals ibp = Intervals.of(new IntervalDomain(IntervalDomain.Rounding.NEAREST)
        .propagate(network, box, BatchStatistics.evaluation()));
    Intervals sampled = sampler == null ? null : sampler.estimate(network, box, seed);
    return new RandomNetworkTrial(expected, affine, ibp, sampled);
  }

  /**
   * One trial on a random fully connected network as drawn in section 4 ({@link
   * GaussianNetworks}): the network from {@code seed}, a Gaussian box of radius {@code eps}, Eq. 6
   * (recursive) masks, and the sampled true interval when {@code sampler} is not null. The
   * network and every array live in a sub-manager of {@code parent} closed before returning.
   */
  static RandomNetworkTrial fullyConnected(List<Integer> widths, double eps, long seed,
      SampledBounds sampler, NDManager parent) {
    try (NDManager trial = parent.newSubManager();
        Network net = GaussianNetworks.fullyConnected(widths, seed, trial)) {
      Box box = GaussianNetworks.gaussianBox(net.inputShape(), eps, seed(seed, 1), trial);
      return run(net, box, ExpectedBoundsDomain.MaskRule.RECURSIVE, sampler, seed(seed, 2));
    }
  }

  /** {@code Gamma} of the expected bounds on output {@code j} (needs the sampled interval). */
  double gamma(int j) {
    return Coverage.gamma(expected, sampled)[j];
  }

  /** {@code Gamma} of the bounds centred at the masked affine map on output {@code j}. */
  double affineGamma(int j) {
    return Coverage.gamma(expectedAffine, sampled)[j];
  }

  /** {@code Gamma} of the IBP bounds on output {@code j}: 1 up to rounding, a sanity check. */
  double ibpGamma(int j) {
    return Coverage.gamma(ibp, sampled)[j];
  }

  /** {@code W_IBP / W_M} of output {@code j}. */
  double widthRatio(int j) {
    return Coverage.widthRatio(ibp, expected)[j];
  }

  /** {@code W_IBP - W_M} of output {@code j}. */
  double widthDifference(int j) {
    return Coverage.widthDifference(ibp, expected)[j];
  }

  /**
   * A seed for one random draw, derived from the root seed and a path of indices (experiment,
   * sweep point, network, ...) by SplitMix64 steps, so draws are independent of the order in
   * which points run.
   */
  static long seed(long root, long... path) {
    long h = mix(root);
    for (long p : path) {
      h = mix(h ^ mix(p + 0x632BE59BD9B4E019L));
    }
    return h;
  }

  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
