package org.certkit.io.vnnlib;

import static org.certkit.io.vnnlib.VnnlibReaderTest.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Outward rounding of boxes and exact evaluation of output constraints. */
class ExactNumbersTest {

  private static InputBox box(String bounds) throws VnnlibFormatException {
    return VnnlibReader.parse(header(1, 1) + bounds + "\n(assert (>= Y_0 0))", "t")
        .disjuncts().getFirst().box();
  }

  private static OutputConstraint constraint(String atom) throws VnnlibFormatException {
    String text = header(1, 2) + "(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert " + atom + ")";
    return VnnlibReader.parse(text, "t").disjuncts().getFirst().unsafe().getFirst()
        .constraints().getFirst();
  }

  @Test
  void roundsADecimalBoxOutwardToAdjacentDoubles() throws VnnlibFormatException {
    InputBox box = box("(assert (>= X_0 0.1)) (assert (<= X_0 0.1))");
    BigDecimal tenth = new BigDecimal("0.1");
    double lower = box.lowerOutward()[0];
    double upper = box.upperOutward()[0];

    assertTrue(new BigDecimal(lower).compareTo(tenth) <= 0);
    assertTrue(new BigDecimal(upper).compareTo(tenth) >= 0);
    // 0.1 is no double: the two corners are the doubles on either side of it.
    assertEquals(0.1, upper);
    assertEquals(Math.nextDown(0.1), lower);
    // The nearest double is above the decimal, so it lies outside the exact box [0.1, 0.1].
    assertFalse(box.contains(new double[] {0.1}));
  }

  @Test
  void containsTestsTheExactDecimalBox() throws VnnlibFormatException {
    InputBox box = box("(assert (>= X_0 0.1)) (assert (<= X_0 0.3))");

    assertTrue(box.contains(new double[] {0.1})); // 0.1000000000000000055... >= 0.1
    assertFalse(box.contains(new double[] {Math.nextDown(0.1)}));
    assertTrue(box.contains(new double[] {0.3})); // 0.2999999999999999888... <= 0.3
    assertFalse(box.contains(new double[] {Math.nextUp(0.3)}));
    assertFalse(box.contains(new double[] {Double.NaN}));
    // The outward double box holds the exact one: its corners are below and above 0.1 and 0.3.
    assertTrue(new BigDecimal(box.lowerOutward()[0]).compareTo(new BigDecimal("0.1")) <= 0);
    assertTrue(new BigDecimal(box.upperOutward()[0]).compareTo(new BigDecimal("0.3")) >= 0);
  }

  @Test
  void keepsDoublesAndRoundsTheExtremes() throws VnnlibFormatException {
    assertArrayEquals(new double[] {-0.5}, box("(assert (>= X_0 -0.5)) (assert (<= X_0 0.5))")
        .lowerOutward());
    InputBox huge = box("(assert (>= X_0 -1e400)) (assert (<= X_0 1e400))");
    assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY}, huge.lowerOutward());
    assertArrayEquals(new double[] {Double.POSITIVE_INFINITY}, huge.upperOutward());
    InputBox tiny = box("(assert (>= X_0 -1e-400)) (assert (<= X_0 1e-400))");
    assertArrayEquals(new double[] {-Double.MIN_VALUE}, tiny.lowerOutward());
    assertArrayEquals(new double[] {Double.MIN_VALUE}, tiny.upperOutward());
    InputBox beyond = box("(assert (>= X_0 1e400)) (assert (<= X_0 2e400))");
    assertArrayEquals(new double[] {Double.MAX_VALUE}, beyond.lowerOutward());
  }

  @Test
  void holdsAtTheBoundaryOnlyWhenNotStrict() throws VnnlibFormatException {
    double[] equal = {2.5, 2.5};

    assertTrue(constraint("(>= Y_0 Y_1)").holds(equal));
    assertFalse(constraint("(> Y_0 Y_1)").holds(equal));
    assertTrue(constraint("(> Y_0 Y_1)").holds(new double[] {Math.nextUp(2.5), 2.5}));
    assertFalse(constraint("(>= Y_0 Y_1)").holds(new double[] {Math.nextDown(2.5), 2.5}));
  }

  @Test
  void holdsIsExactWhereDoubleArithmeticIsWrong() throws VnnlibFormatException {
    double[] ones = {1, 1};
    // In doubles 0.1 + 0.2 is 0.30000000000000004, above 0.3; exactly it is 0.3.
    assertTrue(0.1 * ones[0] + 0.2 * ones[1] > 0.3);

    assertFalse(constraint("(> (+ (* 0.1 Y_0) (* 0.2 Y_1)) 0.3)").holds(ones));
    assertTrue(constraint("(<= (+ (* 0.1 Y_0) (* 0.2 Y_1)) 0.3)").holds(ones));
    assertTrue(constraint("(>= (+ (* 0.1 Y_0) (* 0.2 Y_1)) 0.3)").holds(ones));
    // Exactly representable outputs are taken as the doubles they are: 0.1d is above 0.1.
    assertTrue(constraint("(> Y_0 0.1)").holds(new double[] {0.1, 0}));
  }

  @Test
  void holdsWithInfiniteAndNanOutputs() throws VnnlibFormatException {
    OutputConstraint c = constraint("(>= Y_0 Y_1)");

    assertTrue(c.holds(new double[] {Double.POSITIVE_INFINITY, 1}));
    assertFalse(c.holds(new double[] {1, Double.POSITIVE_INFINITY}));
    assertFalse(c.holds(new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}));
    assertFalse(c.holds(new double[] {Double.NaN, 1}));
    assertTrue(constraint("(>= Y_0 1)").holds(new double[] {1, Double.NaN}));
  }

  @Test
  void doubleFormSaysWhetherItIsExact() throws VnnlibFormatException {
    OutputConstraint.DoubleForm margin = constraint("(>= Y_0 Y_1)").toDoubles();
    assertArrayEquals(new double[] {1, -1}, margin.coefficients());
    assertEquals(0, margin.offset());
    assertTrue(margin.exact());
    assertFalse(margin.strict());

    OutputConstraint.DoubleForm decimal = constraint("(> (* 0.1 Y_0) 0.5)").toDoubles();
    assertArrayEquals(new double[] {0.1, 0}, decimal.coefficients());
    assertEquals(-0.5, decimal.offset());
    assertFalse(decimal.exact());
    assertTrue(decimal.strict());

    assertFalse(new OutputConstraint(List.of(BigDecimal.ONE), new BigDecimal("1e400"), false)
        .toDoubles().exact());
  }
}
