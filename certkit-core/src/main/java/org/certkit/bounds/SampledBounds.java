package org.certkit.bounds;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * A Monte-Carlo estimate of the true output interval {@code [L_true, U_true]} of a network over
 * an input box, as in section 4 of Alsubaihi et al. ("Expected Tight Bounds for Robust Deep
 * Neural Network Training"): the minimum and maximum of every output over {@code samples}
 * points drawn uniformly from the box and, when the input has {@code n <= cornerLimit}
 * coordinates, over all {@code 2^n} corners of the box (the paper uses {@code 10^6 + 2^n}
 * evaluations).
 *
 * <p>The result is an inner estimate: every evaluated point lies in the true output set, so the
 * sampled interval is contained in the true one and can only be too narrow. Points are drawn in
 * Java from a {@link SplittableRandom} with the given seed (so equal seeds give equal results
 * regardless of the engine's random state) and evaluated by {@link ConcreteDomain} in float64,
 * {@code batchSize} at a time, each batch in its own sub-manager of the input box's manager.
 *
 * @param samples uniform points per estimate, at least 0
 * @param cornerLimit the largest input dimension whose corners are all enumerated, in
 *     {@code [0, }{@link #MAX_CORNER_DIMENSION}{@code ]}; 0 turns corners off
 * @param batchSize points per forward pass, at least 1
 */
public record SampledBounds(int samples, int cornerLimit, int batchSize) {

  /** The largest input dimension whose corners can be enumerated: {@code 2^20} corners. */
  public static final int MAX_CORNER_DIMENSION = 20;

  /** The default number of points per forward pass. */
  public static final int DEFAULT_BATCH_SIZE = 1 << 14;

  /** Validates the sizes. */
  public SampledBounds {
    if (samples < 0) {
      throw new IllegalArgumentException("samples must be >= 0, got " + samples);
    }
    if (cornerLimit < 0 || cornerLimit > MAX_CORNER_DIMENSION) {
      throw new IllegalArgumentException("cornerLimit must be in [0, " + MAX_CORNER_DIMENSION
          + "], got " + cornerLimit);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
  }

  /** The paper's estimator: {@code samples} uniform points plus all corners when {@code n <= 20}. */
  public static SampledBounds of(int samples) {
    return new SampledBounds(samples, MAX_CORNER_DIMENSION, DEFAULT_BATCH_SIZE);
  }

  /** Whether all corners of an {@code n}-dimensional box are evaluated. */
  public boolean enumeratesCorners(long n) {
    return n <= cornerLimit;
  }

  /** How many network evaluations one estimate takes for an {@code n}-dimensional input. */
  public long evaluations(long n) {
    return samples + (enumeratesCorners(n) ? 1L << n : 0);
  }

  /**
   * The sampled output interval of every output over {@code input}.
   *
   * @param network any network; BatchNorm uses running statistics
   * @param input a box of one example ({@code [1, ...input shape]}), float32 or float64; not
   *     modified
   * @param seed seeds the uniform points
   * @return per-output {@code [min, max]} over all evaluated points (plain Java arrays)
   * @throws IllegalArgumentException if the box holds more than one example, or nothing would
   *     be evaluated
   */
  public Intervals estimate(Network network, Box input, long seed) {
    long n = dimension(input);
    if (evaluations(n) == 0) {
      throw new IllegalArgumentException("nothing to evaluate: 0 samples and the " + n
          + "-dimensional box's corners are not enumerated (cornerLimit " + cornerLimit + ")");
    }
    double[] centre = flat(input.centre());
    double[] radius = flat(input.radius());
    Shape itemShape = input.centre().getShape().slice(1);
    NDManager parent = input.centre().getManager();
    double[] lower = null;
    double[] upper = null;
    SplittableRandom random = new SplittableRandom(seed);
    long total = evaluations(n);
    for (long start = 0; start < total; start += batchSize) {
      int count = (int) Math.min(batchSize, total - start);
      double[] points = new double[Math.multiplyExact(count, (int) n)];
      for (int p = 0; p < count; p++) {
        long index = start + p;
        if (index < samples) {
          uniformPoint(centre, radius, random, points, p * (int) n);
        } else {
          corner(centre, radius, index - samples, points, p * (int) n);
        }
      }
      try (NDManager batch = parent.newSubManager()) {
        NDArray outputs = evaluate(network, batch, points, count, itemShape);
        double[] mins = outputs.min(new int[] {0}).toDoubleArray();
        double[] maxs = outputs.max(new int[] {0}).toDoubleArray();
        if (lower == null) {
          lower = mins;
          upper = maxs;
        } else {
          for (int j = 0; j < lower.length; j++) {
            lower[j] = Math.min(lower[j], mins[j]);
            upper[j] = Math.max(upper[j], maxs[j]);
          }
        }
      }
    }
    return new Intervals(lower, upper);
  }

  /**
   * The outputs at {@code count} points drawn uniformly from {@code input} with {@code seed}:
   * the same points, in the same order, as the first uniform points of {@link #estimate} with
   * that seed. Meant for drawing the output set (a point cloud), not for bounding.
   *
   * @return {@code [count][outputs]}
   */
  public double[][] uniformOutputs(Network network, Box input, int count, long seed) {
    long n = dimension(input);
    double[] centre = flat(input.centre());
    double[] radius = flat(input.radius());
    Shape itemShape = input.centre().getShape().slice(1);
    SplittableRandom random = new SplittableRandom(seed);
    double[][] out = new double[count][];
    for (int start = 0; start < count; start += batchSize) {
      int size = Math.min(batchSize, count - start);
      double[] points = new double[Math.multiplyExact(size, (int) n)];
      for (int p = 0; p < size; p++) {
        uniformPoint(centre, radius, random, points, p * (int) n);
      }
      try (NDManager batch = input.centre().getManager().newSubManager()) {
        NDArray outputs = evaluate(network, batch, points, size, itemShape);
        int k = (int) (outputs.size() / size);
        double[] values = outputs.toDoubleArray();
        for (int p = 0; p < size; p++) {
          out[start + p] = Arrays.copyOfRange(values, p * k, (p + 1) * k);
        }
      }
    }
    return out;
  }

  private static NDArray evaluate(Network network, NDManager batch, double[] points, int count,
      Shape itemShape) {
    NDArray x = batch.create(points, new Shape(count).addAll(itemShape));
    NDArray y = ConcreteDomain.forward(network, x, BatchStatistics.evaluation());
    return y.reshape(count, -1);
  }

  private static long dimension(Box input) {
    Shape shape = input.centre().getShape();
    if (shape.get(0) != 1) {
      throw new IllegalArgumentException("SampledBounds needs a box of one example, got shape "
          + shape);
    }
    if (!shape.equals(input.radius().getShape())) {
      throw new IllegalArgumentException("centre " + shape + " and radius "
          + input.radius().getShape() + " differ in shape");
    }
    return shape.size();
  }

  private static double[] flat(NDArray array) {
    return array.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  /** Writes {@code centre + radius * u}, {@code u} uniform in [-1, 1]^n, at {@code offset}. */
  private static void uniformPoint(double[] centre, double[] radius, SplittableRandom random,
      double[] into, int offset) {
    for (int i = 0; i < centre.length; i++) {
      into[offset + i] = centre[i] + radius[i] * (2 * random.nextDouble() - 1);
    }
  }

  /** Writes corner {@code index}: coordinate {@code i} takes the upper end iff bit i is set. */
  private static void corner(double[] centre, double[] radius, long index, double[] into,
      int offset) {
    for (int i = 0; i < centre.length; i++) {
      into[offset + i] = ((index >>> i) & 1) == 1 ? centre[i] + radius[i] : centre[i] - radius[i];
    }
  }
}
