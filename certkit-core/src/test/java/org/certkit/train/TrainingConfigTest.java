package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import org.certkit.attack.PgdAttack;
import org.certkit.io.Json;
import org.certkit.net.Initialization;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {

  /** The 70-epoch MNIST recipe ramps epsilon over epochs 0..20 and decays at 50 and 60. */
  @Test
  void mnistReferenceSchedule() {
    TrainingConfig c = TrainingConfig.mnist(IbpTraining.shi(), 0.1, 70, 0);
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
    TrainingConfig c = TrainingConfig.mnist(IbpTraining.shi(), 0.1, 14, 0);
    assertEquals(14, c.epochs());
    assertEquals(0, c.epsRampStart());
    assertEquals(4, c.epsRampEpochs());
    assertArrayEquals(new int[] {10, 12}, c.learningRate().decayEpochs());
  }

  /** Standard training uses the target epsilon from the first step, whatever the ramp. */
  @Test
  void standardTrainingHasNoRamp() {
    TrainingConfig c = TrainingConfig.mnist(new StandardTraining(), 0.1, 70, 0);
    assertEquals(0.1, c.epsilonSchedule().at(0, 0, 10));
    assertEquals(Initialization.DEFAULT, c.initialization());
  }

  /** Negative or above-one epsilon and zero epochs are rejected with the value in the message. */
  @Test
  void invalidArgumentsNameTheValue() {
    assertMessageContains("-0.1",
        () -> TrainingConfig.mnist(IbpTraining.shi(), -0.1, 70, 0));
    assertMessageContains("1.5",
        () -> TrainingConfig.mnist(IbpTraining.shi(), 1.5, 70, 0));
    assertMessageContains("NaN",
        () -> TrainingConfig.mnist(IbpTraining.shi(), Double.NaN, 70, 0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingConfig.mnist(IbpTraining.shi(), 0.1, 0, 0));
    assertTrue(e.getMessage().contains("epochs") && e.getMessage().matches(".*\\b0\\b.*"),
        e.getMessage());
    assertMessageContains("-3",
        () -> TrainingConfig.cifar10(PgdTraining.tenSteps(), 0.1, -3, 0));
  }

  /**
   * Weight decay defaults to 0, survives changes of other fields through the builder (which keep
   * every field they do not set) and rejects negative or non-finite values.
   */
  @Test
  void builderChangesOnlyWhatItSets() {
    TrainingConfig c = TrainingConfig.mnist(new StandardTraining(), 0, 5, 0);
    assertEquals(0.0, c.weightDecay());
    TrainingConfig changed = c.toBuilder().weightDecay(1e-3).batchSize(64)
        .initialLearningRate(1e-3).method(new ExpectedBoundsTraining(2)).build();
    assertEquals(new TrainingConfig(new ExpectedBoundsTraining(2), c.eps(), c.epochs(), 64,
        new LearningRateSchedule(1e-3, c.learningRate().decayEpochs(), 0.2), c.epsRampStart(),
        c.epsRampEpochs(), c.gradientClipNorm(), c.seed(), c.initialization(),
        c.augmentation(), 1e-3), changed);
    assertEquals(c, c.toBuilder().build());
    assertMessageContains("-0.001", () -> c.toBuilder().weightDecay(-1e-3).build());
    assertMessageContains("Infinity",
        () -> c.toBuilder().weightDecay(Double.POSITIVE_INFINITY).build());
    assertMessageContains("NaN", () -> c.toBuilder().weightDecay(Double.NaN).build());
  }

  /**
   * PGD and the IBP-based methods (IBP, CROWN-IBP, SABR, MTL-IBP) follow the smoothed ramp (0 at
   * the first step, below the target inside the ramp); standard and expected-bound training are
   * at the target from the first step. The
   * ramp is the same {@link EpsilonSchedule} for every method that ramps.
   */
  @Test
  void eachMethodSchedulesItsEpsilon() {
    for (TrainingMethod m : allMethods()) {
      TrainingConfig c = TrainingConfig.mnist(m, 0.1, 14, 0);
      EpsilonSchedule s = c.epsilonSchedule();
      boolean ramps = !(m instanceof StandardTraining || m instanceof ExpectedBoundsTraining);
      assertEquals(ramps ? 0 : 0.1, s.at(0, 0, 10), m.name());
      assertEquals(ramps ? new EpsilonSchedule(0.1, 0, 4) : new EpsilonSchedule(0.1, 0, 0), s,
          m.name());
      assertEquals(0.1, s.at(4, 0, 10), m.name());
    }
  }

  /**
   * For every method, a configuration written as JSON and read back is equal to the original
   * (method and hyper-parameters included), and the method's {@code type} in JSON is its name.
   */
  @Test
  void jsonRoundTripKeepsEveryMethod() throws IOException {
    for (TrainingMethod m : allMethods()) {
      TrainingConfig c = TrainingConfig.cifar10(m, 2.0 / 255, 16, 7).toBuilder()
          .weightDecay(5e-4).build();
      JsonNode json = Json.MAPPER.valueToTree(c);
      assertEquals(m.name(), json.get("method").get("type").asText());
      assertEquals(c, TrainingConfig.fromJson(json), json.toString());
      assertEquals(c, Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(c),
          TrainingConfig.class));
    }
  }

  /**
   * A run config with a misspelt or missing field (also inside the method), an unknown method
   * type or an invalid value is rejected with a message naming it.
   */
  @Test
  void invalidJsonIsRejectedNamingTheProblem() throws IOException {
    ObjectNode json = Json.MAPPER.valueToTree(TrainingConfig.mnist(IbpTraining.shi(), 0.1, 2, 0));
    ObjectNode misspelt = json.deepCopy();
    misspelt.put("epoch", 3);
    assertJsonRejected("epoch", misspelt);
    ObjectNode unknown = json.deepCopy();
    ((ObjectNode) unknown.get("method")).put("type", "crown");
    assertJsonRejected("crown", unknown);
    ObjectNode missing = json.deepCopy();
    missing.remove("gradientClipNorm");
    assertJsonRejected("gradientClipNorm", missing);
    ObjectNode missingInMethod = json.deepCopy();
    ((ObjectNode) missingInMethod.get("method")).remove("regularizerWeight");
    assertJsonRejected("regularizerWeight", missingInMethod);
    ObjectNode weight = json.deepCopy();
    ((ObjectNode) weight.get("method")).put("robustWeight", 1.5);
    assertJsonRejected("1.5", weight);
  }

  private static void assertJsonRejected(String named, ObjectNode json) {
    Exception e = assertThrows(Exception.class,
        () -> TrainingConfig.fromJson(json));
    assertTrue(e.getMessage().contains(named), "should name " + named + ": " + e.getMessage());
  }

  private static List<TrainingMethod> allMethods() {
    List<TrainingMethod> all = List.of(new StandardTraining(),
        new PgdTraining(new PgdAttack(7, 0.3, 2, false)), new IbpTraining(0.5, 0.25, 0.2),
        new CrownIbpTraining(0.6), new SabrTraining(0.3, new PgdAttack(4, 0.2, 3, true), 0.7, 0.4),
        new MtlIbpTraining(0.05, new PgdAttack(3, 0.5, 1, false), 0.9, 0),
        new TapsTraining(4, 6, 0.3, 2, 0.8, 0.1),
        new StapsTraining(0.6, new PgdAttack(2, 0.25, 1, true), new TapsTraining(2, 3, 0.5, 4,
            1, 0.5)),
        new ColtTraining(new PgdAttack(5, 0.2, 2, true), 6, 0.3, 0.2, 16, 20, 1e-5, 0.005,
            1.1),
        new ExpectedBoundsTraining(3, 5));
    assertEquals(java.util.Set.of(TrainingMethod.class.getPermittedSubclasses()),
        all.stream().map(Object::getClass).collect(java.util.stream.Collectors.toSet()),
        "every training method is listed");
    return all;
  }

  private static void assertMessageContains(String value, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(value), "message should name " + value + ": "
        + e.getMessage());
  }
}
