package org.certkit.domain;

import java.util.function.DoubleUnaryOperator;

/**
 * Lines below and above an S-shaped function (Sigmoid, Tanh) over each unit's bounds, sound in
 * floating point as computed: for every real {@code x} in the unit's exact range,
 * {@code lowerSlope x + lowerIntercept <= f(x) <= upperSlope x + upperIntercept} holds for the
 * stored doubles, so the backward pass may use them as they are.
 *
 * <p>Both functions are increasing, convex for {@code x <= 0} and concave for {@code x >= 0},
 * with an even derivative that decreases in {@code |x|}. On a range {@code [l, u]}:
 * <ul>
 *   <li>where {@code f} is convex ({@code u <= 0}) the line above is the chord, where it is
 *       concave ({@code l >= 0}) the line below is the chord: any line at least (at most) {@code f}
 *       at both ends is then valid between them, so the computed slope needs no care and the
 *       intercept is taken from the ends' outward values of {@code f};
 *   <li>every other line goes through one end with a slope that bounds the derivative on the
 *       range: through {@code l} with a slope at most {@code min f'} below {@code f} (at most
 *       {@code max f'} above), through {@code u} the other way round. Of the two candidates the
 *       one closer to {@code f} at the midpoint is kept; where the range is on one side of zero
 *       these are the tangents at the ends.
 * </ul>
 * The ends are the computed {@code c -/+ r} widened past their own rounding, {@code f} is
 * enclosed as {@link IntervalDomain} does ({@link StrictMath}, {@link IntervalDomain#below}),
 * derivative bounds are widened by a relative {@code 1e-12} (their formulas are accurate to a
 * few ulps), and every intercept is rounded outward past the error of its two operations.
 */
final class SShapedLines {

  /** The two functions and their derivatives, in forms accurate for any argument. */
  enum Function {
    /** The logistic function. */
    SIGMOID(IntervalDomain.SIGMOID, 0.25) {
      @Override
      double derivative(double x) {
        double e = StrictMath.exp(-Math.abs(x));
        return e / ((1 + e) * (1 + e));
      }
    },
    /** The hyperbolic tangent. */
    TANH(StrictMath::tanh, 1) {
      @Override
      double derivative(double x) {
        double e = StrictMath.exp(-2 * Math.abs(x));
        return 4 * e / ((1 + e) * (1 + e));
      }
    };

    private final DoubleUnaryOperator value;
    private final double peakSlope;

    Function(DoubleUnaryOperator value, double peakSlope) {
      this.value = value;
      this.peakSlope = peakSlope;
    }

    /** {@code f'(x)}, accurate to a few ulps. */
    abstract double derivative(double x);
  }

  /** Relative widening of a computed derivative bound. */
  private static final double SLOPE_MARGIN = 1e-12;

  final double[] lowerSlope;
  final double[] lowerIntercept;
  final double[] upperSlope;
  final double[] upperIntercept;

  private SShapedLines(int n) {
    lowerSlope = new double[n];
    lowerIntercept = new double[n];
    upperSlope = new double[n];
    upperIntercept = new double[n];
  }

  /** The lines of {@code f} over the boxes {@code [c - r, c + r]}, unit by unit. */
  static SShapedLines of(Function f, double[] centre, double[] radius) {
    SShapedLines lines = new SShapedLines(centre.length);
    for (int i = 0; i < centre.length; i++) {
      double reach = 2 * IntervalDomain.UNIT_ROUNDOFF * (Math.abs(centre[i]) + radius[i]);
      double l = Math.nextDown(centre[i] - radius[i] - reach);
      double u = Math.nextUp(centre[i] + radius[i] + reach);
      lines.fit(i, f, l, u);
    }
    return lines;
  }

  private void fit(int i, Function f, double l, double u) {
    if (!(Double.isFinite(l) && Double.isFinite(u))) {
      // No finite range: the constant bounds of f's range, which NaN then marks as unbounded.
      lowerSlope[i] = Double.NaN;
      lowerIntercept[i] = Double.NaN;
      upperSlope[i] = Double.NaN;
      upperIntercept[i] = Double.NaN;
      return;
    }
    double lowAtL = IntervalDomain.below(f.value, l, 0);
    double lowAtU = IntervalDomain.below(f.value, u, 0);
    double highAtL = IntervalDomain.above(f.value, l, 0);
    double highAtU = IntervalDomain.above(f.value, u, 0);
    double dl = f.derivative(l);
    double du = f.derivative(u);
    double minSlope = Math.max(0, Math.min(dl, du) * (1 - SLOPE_MARGIN));
    double maxSlope = l <= 0 && u >= 0 ? f.peakSlope : Math.max(dl, du) * (1 + SLOPE_MARGIN);
    double mid = l / 2 + u / 2;
    if (l >= 0) {
      double chord = chordSlope(lowAtL, lowAtU, l, u, minSlope);
      lowerSlope[i] = chord;
      lowerIntercept[i] = Math.min(interceptBelow(lowAtL, chord, l),
          interceptBelow(lowAtU, chord, u));
    } else {
      double throughL = interceptBelow(lowAtL, minSlope, l);
      double throughU = interceptBelow(lowAtU, maxSlope, u);
      boolean left = minSlope * mid + throughL >= maxSlope * mid + throughU;
      lowerSlope[i] = left ? minSlope : maxSlope;
      lowerIntercept[i] = left ? throughL : throughU;
    }
    if (u <= 0) {
      double chord = chordSlope(highAtL, highAtU, l, u, minSlope);
      upperSlope[i] = chord;
      upperIntercept[i] = Math.max(interceptAbove(highAtL, chord, l),
          interceptAbove(highAtU, chord, u));
    } else {
      double throughU = interceptAbove(highAtU, minSlope, u);
      double throughL = interceptAbove(highAtL, maxSlope, l);
      boolean right = minSlope * mid + throughU <= maxSlope * mid + throughL;
      upperSlope[i] = right ? minSlope : maxSlope;
      upperIntercept[i] = right ? throughU : throughL;
    }
  }

  /** The chord's slope, or {@code fallback} when the range is a point. */
  private static double chordSlope(double atL, double atU, double l, double u, double fallback) {
    return u > l ? (atU - atL) / (u - l) : fallback;
  }

  /** A number at most {@code y - a x} in exact arithmetic. */
  private static double interceptBelow(double y, double a, double x) {
    double ax = a * x;
    return Math.nextDown(y - ax - 4 * IntervalDomain.UNIT_ROUNDOFF * (Math.abs(y) + Math.abs(ax))
        - Double.MIN_NORMAL);
  }

  /** A number at least {@code y - a x} in exact arithmetic. */
  private static double interceptAbove(double y, double a, double x) {
    double ax = a * x;
    return Math.nextUp(y - ax + 4 * IntervalDomain.UNIT_ROUNDOFF * (Math.abs(y) + Math.abs(ax))
        + Double.MIN_NORMAL);
  }
}
