package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EpsilonScheduleTest {

  private static final double TARGET = 0.3;
  private static final int START = 2;
  private static final int RAMP = 4;
  private static final int BATCHES = 1000;
  /** First and last step of the ramp, counted in batches from the start of training. */
  private static final long RAMP_FIRST = (long) START * BATCHES;
  private static final long RAMP_END = (long) (START + RAMP) * BATCHES;
  /** The switch from the quartic to the linear part: a quarter of the ramp. */
  private static final long SWITCH = RAMP_FIRST + (RAMP_END - RAMP_FIRST) / 4;

  private final EpsilonSchedule schedule = new EpsilonSchedule(TARGET, START, RAMP);

  /** Epsilon at a global step counted from the start of training. */
  private double at(long step) {
    return schedule.at((int) (step / BATCHES), (int) (step % BATCHES), BATCHES);
  }

  /** Epsilon is exactly 0 in every step before the ramp and at its first step. */
  @Test
  void zeroBeforeTheRampAndAtItsFirstStep() {
    for (long step = 0; step <= RAMP_FIRST; step++) {
      assertEquals(0.0, at(step), "step " + step);
    }
    assertTrue(at(RAMP_FIRST + 1) > 0, "the ramp should rise right after its first step");
  }

  /** Epsilon equals the target at the end of the ramp and in every later step. */
  @Test
  void targetAtAndAfterTheEnd() {
    for (long step = RAMP_END; step < RAMP_END + 3L * BATCHES; step++) {
      assertEquals(TARGET, at(step), "step " + step);
    }
    assertTrue(at(RAMP_END - 1) < TARGET, "the target should not be reached before the end");
    assertEquals(TARGET, schedule.at(100, 0, BATCHES));
  }

  /** Epsilon never decreases from one step to the next, over the whole run. */
  @Test
  void monotoneOverEveryStep() {
    double previous = at(0);
    for (long step = 1; step < RAMP_END + BATCHES; step++) {
      double value = at(step);
      assertTrue(value >= previous, "decrease at step " + step + ": " + previous + " -> " + value);
      assertTrue(value >= 0 && value <= TARGET, "out of range at step " + step + ": " + value);
      previous = value;
    }
  }

  /**
   * At the switch point value and slope are continuous: the one-step differences on either side
   * agree to within the discretisation error, and the value there is target / 13 (quartic
   * {@code alpha t^4} of length L meeting a line of slope {@code 4 alpha L^3} over 3L).
   */
  @Test
  void valueAndSlopeContinuousAtTheSwitch() {
    double left = at(SWITCH) - at(SWITCH - 1);
    double right = at(SWITCH + 1) - at(SWITCH);
    double right2 = at(SWITCH + 2) - at(SWITCH + 1);
    assertEquals(right, right2, 1e-12 * TARGET, "the part after the switch should be linear");
    assertEquals(1, left / right, 0.005, "slope jumps at the switch: left " + left + ", right "
        + right);
    double linearExtrapolation = at(SWITCH + 1) - right;
    assertEquals(linearExtrapolation, at(SWITCH), 1e-12, "value jumps at the switch");
    assertEquals(TARGET / 13, at(SWITCH), 1e-12);
  }

  /** Before the switch epsilon grows as t^4: doubling the time since the start multiplies it by 16. */
  @Test
  void quarticBeforeTheSwitch() {
    for (long t : new long[] {1, 7, 100, 250, 499}) {
      double ratio = at(RAMP_FIRST + 2 * t) / at(RAMP_FIRST + t);
      assertEquals(16, ratio, 1e-9, "t = " + t);
    }
    long t = SWITCH - RAMP_FIRST;
    double alpha = TARGET / 13 / Math.pow(t, 4);
    assertEquals(alpha * Math.pow(123, 4), at(RAMP_FIRST + 123), 1e-15);
  }

  /** A ramp of length 0 gives the target from the start epoch on and 0 before it. */
  @Test
  void zeroLengthRampGivesTheTargetFromTheStartEpoch() {
    EpsilonSchedule immediate = new EpsilonSchedule(TARGET, 3, 0);
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int batch = 0; batch < 5; batch++) {
        assertEquals(0.0, immediate.at(epoch, batch, 5));
      }
    }
    for (int epoch = 3; epoch < 6; epoch++) {
      for (int batch = 0; batch < 5; batch++) {
        assertEquals(TARGET, immediate.at(epoch, batch, 5));
      }
    }
    assertEquals(TARGET, new EpsilonSchedule(TARGET, 0, 0).at(0, 0, 5));
  }

  /** reachedTarget is false during the ramp and true from the first epoch after it. */
  @Test
  void reachedTargetMatchesTheEndEpoch() {
    assertTrue(!schedule.reachedTarget(START + RAMP - 1));
    assertTrue(schedule.reachedTarget(START + RAMP));
  }

  /** Negative targets and ramp bounds are rejected. */
  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new EpsilonSchedule(-0.1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new EpsilonSchedule(Double.NaN, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new EpsilonSchedule(0.1, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> new EpsilonSchedule(0.1, 0, -1));
  }
}
