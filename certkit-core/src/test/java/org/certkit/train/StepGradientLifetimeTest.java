package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.certkit.attack.PgdAttack;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.certkit.testing.MemoryReuse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A training step's gradients do not depend on when the garbage collector runs: every constant
 * the backward pass reads is still alive. (With DJL's scalar overloads a loss weight could be
 * freed between the forward and the backward pass, and the gradients of a step then differed
 * between two runs of the same seed.)
 */
class StepGradientLifetimeTest extends EngineTest {

  static Stream<TrainingMethod> methods() {
    return Stream.of(new IbpTraining(0.5, 0.5), new CrownIbpTraining(0.5),
        SabrTraining.withLambda(0.4), MtlIbpTraining.withAlpha(0.5),
        TapsTraining.withClassifier(3),
        new StapsTraining(0.4, new PgdAttack(3, 0.25, 1, true), TapsTraining.withClassifier(3)),
        ColtTraining.recipe(), new ExpectedBoundsTraining(2.0), PgdTraining.tenSteps(),
        new StandardTraining());
  }

  @ParameterizedTest
  @MethodSource("methods")
  void collectionBetweenForwardAndBackwardLeavesGradientsBitIdentical(TrainingMethod method) {
    manager.getEngine().setRandomSeed(3);
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      net.requireGradients();
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = manager.arange(0, 8, 1, DataType.INT64);
      y = y.mod(org.certkit.internal.Constants.scalar(y, 4));
      for (int trial = 0; trial < 3; trial++) {
        List<float[]> undisturbed = gradients(net, method, x, y, false);
        List<float[]> disturbed = gradients(net, method, x, y, true);
        for (int i = 0; i < undisturbed.size(); i++) {
          assertArrayEquals(undisturbed.get(i), disturbed.get(i),
              method.name() + " trial " + trial + ", " + net.parameters().get(i).name());
        }
      }
    }
  }

  /** One step's gradients; during the ramp (eps 0.05 of 0.1) so the IBP regulariser is on. */
  private List<float[]> gradients(Network net, TrainingMethod method, NDArray x, NDArray y,
      boolean disturb) {
    try (var step = manager.newSubManager()) {
      // The same start for every run: the attack's random start, the BatchNorm running statistics.
      manager.getEngine().setRandomSeed(11);
      List<NDArray> running = new ArrayList<>();
      for (var layer : net.layers()) {
        if (layer instanceof org.certkit.net.BatchNorm b) {
          running.add(b.runningMean());
          running.add(b.runningVar());
        }
      }
      List<NDArray> saved = running.stream().map(NDArray::duplicate).toList();
      StepInput input = new StepInput(net, x, y, 0.05, 0.1, 0, BatchStatistics.training(), step);
      NDList prepared = method.prepare(input);
      List<ByteBuffer> reused = List.of();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (Network.NamedArray p : net.parameters()) {
          if (p.array().hasGradient()) {
            p.array().getGradient().set(new ai.djl.ndarray.index.NDIndex("..."), 0);
          }
        }
        NDArray loss = method.loss(input, prepared).loss();
        if (disturb) {
          reused = MemoryReuse.collectAndOverwrite();
        }
        collector.backward(loss);
      }
      java.lang.ref.Reference.reachabilityFence(reused);
      for (int i = 0; i < running.size(); i++) {
        saved.get(i).copyTo(running.get(i));
      }
      List<float[]> out = new ArrayList<>();
      for (Network.NamedArray p : net.parameters()) {
        out.add(p.array().getGradient().toFloatArray());
      }
      return out;
    }
  }
}
