package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.certkit.internal.Constants;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class LogitTemperatureTest extends EngineTest {

  /**
   * Training at temperature T is training the same network with its last affine layer divided
   * by T: the logits, IBP's margin bounds and the expected bounds all scale by 1/T, while the
   * pre-activation bounds (and so the regulariser) stay. Checked for IBP (in the ramp, with the
   * regulariser) and expected-bound training, T = 5 and 1/5.
   */
  @Test
  void temperatureEqualsScalingTheLastLayer() {
    for (double t : new double[] {5, 0.2}) {
      try (Network net = TinyNetworks.convBn(manager, 3);
          Network scaled = TinyNetworks.convBn(manager, 3)) {
        List<Layer> layers = scaled.layers();
        Linear last = (Linear) layers.get(layers.size() - 1);
        last.weight().divi(Constants.scalar(last.weight(), (float) t));
        last.bias().divi(Constants.scalar(last.bias(), (float) t));
        NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
        NDArray y = TinyNetworks.labels(manager, 8, 4);
        assertSame(new IbpTraining(0.7, 0.5, t), new IbpTraining(0.7, 0.5), net, scaled, x, y,
            0.02);
        assertSame(new ExpectedBoundsTraining(2, t), new ExpectedBoundsTraining(2), net, scaled,
            x, y, 0.05);
      }
    }
  }

  @Test
  void rejectsTemperaturesThatAreNotPositive() {
    assertThrows(IllegalArgumentException.class, () -> new IbpTraining(1, 0.5, 0));
    assertThrows(IllegalArgumentException.class, () -> new IbpTraining(1, 0.5, -1));
    assertThrows(IllegalArgumentException.class,
        () -> new ExpectedBoundsTraining(1, Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> new ExpectedBoundsTraining(1, Double.NaN));
  }

  private void assertSame(TrainingMethod hot, TrainingMethod plain, Network net, Network scaled,
      NDArray x, NDArray y, double eps) {
    double a = hot.loss(new StepInput(net, x, y, eps, 0.1, 0, BatchStatistics.training(), manager),
        null).loss().getFloat();
    double b = plain.loss(new StepInput(scaled, x, y, eps, 0.1, 0, BatchStatistics.training(),
        manager), null).loss().getFloat();
    assertEquals(b, a, 1e-5 * Math.abs(b), hot.toString());
  }
}
