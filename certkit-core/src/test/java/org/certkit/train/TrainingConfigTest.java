package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.certkit.net.Initialization;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {

  /** The 70-epoch MNIST recipe ramps epsilon over epochs 0..20 and decays at 50 and 60. */
  @Test
  void mnistReferenceSchedule() {
    TrainingConfig c = TrainingConfig.mnist(TrainingConfig.Method.IBP, 0.1, 70, 0);
    assertEquals(70, c.epochs());
    assertEquals(0, c.epsRampStart());
    assertEquals(20, c.epsRampEpochs());
    assertArrayEquals(new int[] {50, 60}, c.learningRate().decayEpochs());
    assertEquals(5e-4, c.learningRate().initial());
    assertEquals(0.2, c.learningRate().factor());
    assertEquals(256, c.batchSize());
    assertEquals(10.0, c.gradientClipNorm());
    assertEquals(Initialization.IBP, c.initialization());
    assertEquals(0.1, c.epsilonSchedule().at(20, 0, 10));
    assertTrue(c.epsilonSchedule().at(19, 9, 10) < 0.1);
  }

  /** Scaled to 14 epochs the ramp lasts 4 epochs and the decays move to 10 and 12. */
  @Test
  void mnistScaledToFourteenEpochs() {
    TrainingConfig c = TrainingConfig.mnist(TrainingConfig.Method.IBP, 0.1, 14, 0);
    assertEquals(14, c.epochs());
    assertEquals(0, c.epsRampStart());
    assertEquals(4, c.epsRampEpochs());
    assertArrayEquals(new int[] {10, 12}, c.learningRate().decayEpochs());
  }

  /** Standard training uses the target epsilon from the first step, whatever the ramp. */
  @Test
  void standardTrainingHasNoRamp() {
    TrainingConfig c = TrainingConfig.mnist(TrainingConfig.Method.STANDARD, 0.1, 70, 0);
    assertEquals(0.1, c.epsilonSchedule().at(0, 0, 10));
    assertEquals(Initialization.DEFAULT, c.initialization());
  }

  /** Negative or above-one epsilon and zero epochs are rejected with the value in the message. */
  @Test
  void invalidArgumentsNameTheValue() {
    assertMessageContains("-0.1",
        () -> TrainingConfig.mnist(TrainingConfig.Method.IBP, -0.1, 70, 0));
    assertMessageContains("1.5",
        () -> TrainingConfig.mnist(TrainingConfig.Method.IBP, 1.5, 70, 0));
    assertMessageContains("NaN",
        () -> TrainingConfig.mnist(TrainingConfig.Method.IBP, Double.NaN, 70, 0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingConfig.mnist(TrainingConfig.Method.IBP, 0.1, 0, 0));
    assertTrue(e.getMessage().contains("epochs") && e.getMessage().matches(".*\\b0\\b.*"),
        e.getMessage());
    assertMessageContains("-3",
        () -> TrainingConfig.cifar10(TrainingConfig.Method.PGD, 0.1, -3, 0));
  }

  /** Weight decay defaults to 0, survives the other withers and rejects negative values. */
  @Test
  void weightDecayIsValidatedAndKept() {
    TrainingConfig c = TrainingConfig.mnist(TrainingConfig.Method.STANDARD, 0, 5, 0);
    assertEquals(0.0, c.weightDecay());
    TrainingConfig decayed = c.withWeightDecay(1e-3).withBatchSize(64).withKappa(2);
    assertEquals(1e-3, decayed.weightDecay());
    assertEquals(64, decayed.batchSize());
    assertMessageContains("-0.001", () -> c.withWeightDecay(-1e-3));
    assertMessageContains("Infinity", () -> c.withWeightDecay(Double.POSITIVE_INFINITY));
    assertMessageContains("NaN", () -> c.withWeightDecay(Double.NaN));
  }

  private static void assertMessageContains(String value, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(value), "message should name " + value + ": "
        + e.getMessage());
  }
}
