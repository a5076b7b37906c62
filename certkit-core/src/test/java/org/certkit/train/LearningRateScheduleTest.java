package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

  /** The rate is multiplied by the factor exactly at the start of each decay epoch. */
  @Test
  void decaysAtTheRightEpochsByTheFactor() {
    LearningRateSchedule s = new LearningRateSchedule(1e-3, new int[] {5, 3}, 0.5);
    double[] expected = {1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4, 2.5e-4};
    for (int epoch = 0; epoch < expected.length; epoch++) {
      assertEquals(expected[epoch], s.at(epoch), 1e-18, "epoch " + epoch);
    }
    assertEquals(2.5e-4, s.at(1000), 1e-18);
    assertArrayEquals(new int[] {3, 5}, s.decayEpochs(), "decay epochs are kept sorted");
  }

  /** Without decay epochs, or with factor 1, the rate is constant. */
  @Test
  void constantWithoutDecays() {
    for (int epoch = 0; epoch < 10; epoch++) {
      assertEquals(0.01, new LearningRateSchedule(0.01, new int[0], 0.2).at(epoch));
      assertEquals(0.01, new LearningRateSchedule(0.01, new int[] {2, 4}, 1).at(epoch));
    }
  }

  /** The decay epochs cannot be changed through the array given or returned. */
  @Test
  void decayEpochsAreCopied() {
    int[] decays = {2};
    LearningRateSchedule s = new LearningRateSchedule(1, decays, 0.1);
    decays[0] = 0;
    s.decayEpochs()[0] = 0;
    assertEquals(1.0, s.at(1));
    assertEquals(0.1, s.at(2), 1e-15);
  }

  /** Non-positive rates and factors outside (0, 1] are rejected. */
  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, new int[0], 1));
    assertThrows(IllegalArgumentException.class,
        () -> new LearningRateSchedule(1e-3, new int[0], 0));
    assertThrows(IllegalArgumentException.class,
        () -> new LearningRateSchedule(1e-3, new int[0], 1.5));
  }
}
