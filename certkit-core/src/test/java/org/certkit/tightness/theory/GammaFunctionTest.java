package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GammaFunctionTest {

  /** {@code Gamma(n) = (n - 1)!} for n = 1..25, factorials computed exactly in doubles/longs. */
  @Test
  void matchesFactorials() {
    double factorial = 1;
    for (int n = 1; n <= 25; n++) {
      assertEquals(Math.log(factorial), GammaFunction.logGamma(n), 1e-13 * Math.max(1, n),
          "n = " + n);
      factorial *= n;
    }
  }

  /** {@code Gamma(1/2) = sqrt(pi)}, {@code Gamma(3/2) = sqrt(pi)/2}, {@code Gamma(1/3)} known. */
  @Test
  void matchesHalfIntegersAndReflection() {
    assertEquals(0.5 * Math.log(Math.PI), GammaFunction.logGamma(0.5), 1e-14);
    assertEquals(Math.log(Math.sqrt(Math.PI) / 2), GammaFunction.logGamma(1.5), 1e-14);
    // Gamma(1/3) = 2.678938534707747633..., below 1/2 through the reflection formula.
    assertEquals(Math.log(2.678938534707747633), GammaFunction.logGamma(1.0 / 3), 1e-14);
    assertEquals(Math.log(1e10), GammaFunction.logGamma(1e-10), 1e-9);
  }

  /** The recurrence {@code ln Gamma(x + 1) = ln Gamma(x) + ln x} holds on random arguments. */
  @Test
  void satisfiesRecurrence() {
    SplittableRandom random = new SplittableRandom(3);
    for (int t = 0; t < 1000; t++) {
      double x = random.nextDouble(0.01, 3000);
      double expected = GammaFunction.logGamma(x) + Math.log(x);
      assertEquals(expected, GammaFunction.logGamma(x + 1), 1e-13 * Math.max(1, Math.abs(expected)),
          "x = " + x);
    }
  }

  /** Stirling's series with three correction terms agrees for large arguments. */
  @Test
  void matchesStirlingForLargeArguments() {
    for (double x : new double[] {50, 500, 5000.5}) {
      double stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI)
          + 1 / (12 * x) - 1 / (360 * x * x * x) + 1 / (1260 * Math.pow(x, 5));
      assertEquals(stirling, GammaFunction.logGamma(x), 1e-13 * stirling, "x = " + x);
    }
  }

  @Test
  void rejectsNonPositiveArguments() {
    assertThrows(IllegalArgumentException.class, () -> GammaFunction.logGamma(0));
    assertThrows(IllegalArgumentException.class, () -> GammaFunction.logGamma(-1.5));
    assertThrows(IllegalArgumentException.class, () -> GammaFunction.logGamma(Double.NaN));
  }
}
