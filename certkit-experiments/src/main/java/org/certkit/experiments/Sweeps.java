package org.certkit.experiments;

import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

/** The experiments' sweeps: integer grids, their validation, and (x, y) pairs for fits. */
final class Sweeps {

  private Sweeps() {}

  /** The integers {@code from..to}, both included. */
  static List<Integer> range(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().toList();
  }

  /**
   * About {@code points} integers spaced evenly on a log scale from 1 to {@code max} (both
   * included; duplicates after rounding removed), merged with {@code extra}, in increasing order.
   */
  static List<Integer> logarithmic(int max, int points, List<Integer> extra) {
    TreeSet<Integer> grid = new TreeSet<>(extra);
    for (int i = 0; i < points; i++) {
      grid.add((int) Math.round(Math.pow(max, i / (points - 1.0))));
    }
    return List.copyOf(grid);
  }

  /** Checks that {@code values} is non-empty, positive and strictly increasing. */
  static void requireIncreasing(List<Integer> values, String name) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) < 1 || (i > 0 && values.get(i) <= values.get(i - 1))) {
        throw new IllegalArgumentException(name + " must be positive and strictly increasing,"
            + " got " + values);
      }
    }
  }

  /** The values as doubles, for plotting. */
  static double[] asDoubles(List<Integer> values) {
    return values.stream().mapToDouble(Integer::doubleValue).toArray();
  }

  /** {@code {x_i, y_i}} rows, the input of JFreeChart's {@code Regression}. */
  static double[][] pairs(double[] x, double[] y) {
    double[][] data = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      data[i] = new double[] {x[i], y[i]};
    }
    return data;
  }
}
