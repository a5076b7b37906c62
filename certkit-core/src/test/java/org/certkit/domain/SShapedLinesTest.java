package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The lines of {@link SShapedLines} against Sigmoid and Tanh evaluated exactly (BigDecimal). */
class SShapedLinesTest {

  private static final MathContext EXACT = MathContext.UNLIMITED;

  /**
   * Over 400 random boxes from 1e-4 to 30 in size, on both sides of zero and across it, the
   * stored lines lie below and above the exact function at both exact ends and at 20 exact
   * points between them.
   */
  @Test
  void linesHoldOnTheExactRange() {
    Random random = new Random(5);
    for (int t = 0; t < 400; t++) {
      double scale = Math.pow(10, random.nextInt(5) - 3);
      double c = random.nextGaussian() * scale * 3;
      double r = Math.abs(random.nextGaussian()) * scale;
      check(SShapedLines.Function.SIGMOID, ExactIntervals::sigmoid, c, r, random, t);
      check(SShapedLines.Function.TANH, ExactIntervals::tanh, c, r, random, t);
    }
  }

  /**
   * Where the function is convex on the whole range the line above is the chord, and where it
   * is concave the line below: they meet the function at both ends up to the enclosure's width.
   */
  @Test
  void chordsTouchTheEnds() {
    double[][] boxes = {{-2, 1}, {2, 1}, {-0.6, 0.5}, {0.6, 0.5}};
    for (SShapedLines.Function f : SShapedLines.Function.values()) {
      UnaryOperator<BigDecimal> exact = f == SShapedLines.Function.SIGMOID
          ? ExactIntervals::sigmoid : ExactIntervals::tanh;
      for (double[] box : boxes) {
        SShapedLines lines = SShapedLines.of(f, new double[] {box[0]}, new double[] {box[1]});
        boolean convex = box[0] + box[1] <= 0;
        double slope = convex ? lines.upperSlope[0] : lines.lowerSlope[0];
        double intercept = convex ? lines.upperIntercept[0] : lines.lowerIntercept[0];
        for (double x : new double[] {box[0] - box[1], box[0] + box[1]}) {
          double gap = Math.abs(slope * x + intercept
              - exact.apply(new BigDecimal(x)).doubleValue());
          assertTrue(gap < 1e-12, f + " chord off the end " + x + " of " + box[0] + " +- "
              + box[1] + " by " + gap);
        }
      }
    }
  }

  private static void check(SShapedLines.Function f, UnaryOperator<BigDecimal> exact, double c,
      double r, Random random, int trial) {
    SShapedLines lines = SShapedLines.of(f, new double[] {c}, new double[] {r});
    BigDecimal lo = new BigDecimal(c).subtract(new BigDecimal(r), EXACT);
    BigDecimal width = new BigDecimal(r).multiply(BigDecimal.valueOf(2), EXACT);
    for (int k = 0; k <= 21; k++) {
      BigDecimal x = k == 0 ? lo : k == 21 ? lo.add(width, EXACT)
          : lo.add(width.multiply(new BigDecimal(random.nextDouble()), EXACT), EXACT);
      BigDecimal fx = exact.apply(x);
      BigDecimal below = new BigDecimal(lines.lowerSlope[0]).multiply(x, EXACT)
          .add(new BigDecimal(lines.lowerIntercept[0]), EXACT);
      BigDecimal above = new BigDecimal(lines.upperSlope[0]).multiply(x, EXACT)
          .add(new BigDecimal(lines.upperIntercept[0]), EXACT);
      String where = f + " trial " + trial + " box " + c + " +- " + r + " at " + x;
      assertTrue(below.compareTo(fx) <= 0, "line below above f: " + where);
      assertTrue(above.compareTo(fx) >= 0, "line above below f: " + where);
    }
  }
}
