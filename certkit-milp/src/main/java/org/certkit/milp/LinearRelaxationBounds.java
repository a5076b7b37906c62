package org.certkit.milp;

import java.util.ArrayList;
import java.util.List;

/**
 * Pre-activation and output bounds of a ReLU network over an input box by back-substitution of
 * linear ReLU relaxations, the bounds of DeepPoly (Singh et al., "An abstract domain for
 * certifying neural networks", POPL 2019) and CROWN (Zhang et al., NeurIPS 2018): each unit is
 * bounded by a linear function of the input, obtained by replacing every earlier unstable ReLU
 * ({@code l < 0 < u}) by its upper line {@code u (z - l) / (u - l)} or its lower line
 * {@code alpha z} ({@code alpha = 1} when {@code u >= -l}, else 0), whichever bounds the unit on
 * the side asked for, and then minimised or maximised over the box in closed form.
 *
 * <p>Used for the big-M constants of the {@link MixedIntegerEncoding}: they are usually much
 * tighter than interval bounds, so fewer ReLUs are unstable and the remaining binaries have
 * smaller ranges, which is what makes the MILP of a trained MNIST network solvable (Tjeng et al.
 * tighten with LP bounds for the same reason). Every result is intersected with the interval
 * bounds passed in, so it is never looser.
 *
 * <p><b>Floating point.</b> The arithmetic is float64 with round-to-nearest; each bound is widened
 * outward by {@code 1e-9} of the magnitudes summed into it plus {@code 1e-12}, orders of magnitude
 * above the rounding error of such sums and below the solvers' tolerances. Like the solver's
 * tolerances (see {@link MilpOptions}), this is an allowance, not a certified error bound.
 */
final class LinearRelaxationBounds {

  /** Relative widening of every bound, of the magnitudes summed into it. */
  private static final double RELATIVE_WIDENING = 1e-9;

  /** Absolute widening of every bound. */
  private static final double ABSOLUTE_WIDENING = 1e-12;

  /**
   * Bounds of every ReLU layer's input and of the outputs.
   *
   * @param preActivations {@code [lower, upper]} of the input of every ReLU layer, in order
   * @param output {@code [lower, upper]} of the outputs
   */
  record Result(List<double[][]> preActivations, double[][] output) {}

  private LinearRelaxationBounds() {}

  /**
   * Tightens interval bounds.
   *
   * @param blocks the network
   * @param lower lower end of the input box
   * @param upper upper end of the input box
   * @param interval interval (IBP) bounds of every ReLU layer's input, not modified; units whose
   *     interval bounds are already stable keep them (their relaxation is exact either way)
   * @param intervalOutput interval bounds of the outputs, not modified
   */
  static Result tighten(AffineBlocks blocks, double[] lower, double[] upper,
      List<double[][]> interval, double[][] intervalOutput) {
    List<AffineBlocks.Map> maps = blocks.maps();
    List<double[][]> bounds = new ArrayList<>();
    Workspace work = new Workspace(maps, lower.length);
    for (int k = 0; k < maps.size(); k++) {
      boolean last = k == maps.size() - 1;
      double[][] known = last ? intervalOutput : interval.get(k);
      double[] lo = known[0].clone();
      double[] hi = known[1].clone();
      for (int j = 0; j < lo.length; j++) {
        if (!last && (hi[j] <= 0 || lo[j] >= 0)) {
          continue;
        }
        double l = work.bound(k, j, true, bounds, lower, upper);
        double u = work.bound(k, j, false, bounds, lower, upper);
        double tightLower = Math.max(lo[j], l);
        double tightUpper = Math.min(hi[j], u);
        if (tightLower <= tightUpper) {
          lo[j] = tightLower;
          hi[j] = tightUpper;
        }
      }
      if (last) {
        return new Result(bounds, new double[][] {lo, hi});
      }
      bounds.add(new double[][] {lo, hi});
    }
    throw new IllegalStateException("a network has at least one affine map");
  }

  /** Dense scratch vectors, one per layer width, with the list of entries touched. */
  private static final class Workspace {
    private final List<AffineBlocks.Map> maps;
    private final double[][] values;
    private final int[][] touched;
    private final boolean[][] marked;
    private final int[] counts;

    Workspace(List<AffineBlocks.Map> maps, int inputs) {
      this.maps = maps;
      int layers = maps.size();
      values = new double[layers][];
      touched = new int[layers][];
      marked = new boolean[layers][];
      counts = new int[layers];
      for (int m = 0; m < layers; m++) {
        int n = maps.get(m).inputs();
        values[m] = new double[n];
        touched[m] = new int[n];
        marked[m] = new boolean[n];
      }
    }

    /**
     * The lower (or upper) bound of unit {@code j} of map {@code k}, given the bounds of the
     * ReLU layers before it, widened outward.
     */
    double bound(int k, int j, boolean lowerSide, List<double[][]> reluBounds, double[] lower,
        double[] upper) {
      AffineBlocks.Map map = maps.get(k);
      double constant = map.offset()[j];
      double magnitude = Math.abs(constant);
      clear(k);
      int[] index = map.index()[j];
      double[] weight = map.weight()[j];
      for (int t = 0; t < index.length; t++) {
        add(k, index[t], weight[t]);
      }
      // values[m] holds coefficients over h_m, the input of map m (h_0 = x).
      for (int m = k; m >= 1; m--) {
        double[] lo = reluBounds.get(m - 1)[0];
        double[] hi = reluBounds.get(m - 1)[1];
        AffineBlocks.Map below = maps.get(m - 1);
        clear(m - 1);
        for (int s = 0; s < counts[m]; s++) {
          int i = touched[m][s];
          double c = values[m][i];
          if (c == 0 || hi[i] <= 0) {
            continue;
          }
          if (lo[i] < 0) {
            // An unstable ReLU: the upper line bounds c h from below when c < 0 (lower side)
            // or from above when c > 0 (upper side); otherwise the lower line alpha z.
            if ((c < 0) == lowerSide) {
              double slope = hi[i] / (hi[i] - lo[i]);
              double shift = -c * slope * lo[i];
              constant += shift;
              magnitude += Math.abs(shift);
              c *= slope;
            } else if (hi[i] < -lo[i]) {
              continue;
            }
          }
          double shift = c * below.offset()[i];
          constant += shift;
          magnitude += Math.abs(shift);
          int[] rowIndex = below.index()[i];
          double[] rowWeight = below.weight()[i];
          for (int t = 0; t < rowIndex.length; t++) {
            add(m - 1, rowIndex[t], c * rowWeight[t]);
          }
        }
      }
      double value = constant;
      for (int s = 0; s < counts[0]; s++) {
        int i = touched[0][s];
        double c = values[0][i];
        double x = (c > 0) == lowerSide ? lower[i] : upper[i];
        value += c * x;
        magnitude += Math.abs(c) * Math.max(Math.abs(lower[i]), Math.abs(upper[i]));
      }
      double widening = RELATIVE_WIDENING * magnitude + ABSOLUTE_WIDENING;
      return lowerSide ? value - widening : value + widening;
    }

    private void add(int layer, int i, double v) {
      if (!marked[layer][i]) {
        marked[layer][i] = true;
        touched[layer][counts[layer]++] = i;
      }
      values[layer][i] += v;
    }

    private void clear(int layer) {
      for (int s = 0; s < counts[layer]; s++) {
        int i = touched[layer][s];
        values[layer][i] = 0;
        marked[layer][i] = false;
      }
      counts[layer] = 0;
    }
  }
}
