package org.certkit.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.Random;
import org.certkit.net.Architectures;
import org.certkit.net.InputFormat;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.certkit.tightness.LocalTightness;
import org.certkit.tightness.theory.MonteCarloEstimate;

/**
 * The ReLU-network curve of Figure 2 (Mao et al.): local tightness (Definition 3.6) of fully
 * connected ReLU networks at PyTorch's default initialisation, each at one uniformly random input
 * in [0, 1]^d0, with the identity as output specification. Each sample is a new network and
 * input; the estimate is the mean over samples of the per-network mean over output dimensions.
 */
public final class ReluNetworkSeries implements InitializationTightnessSeries {

  /** The series name, {@code relu}. */
  public static final String NAME = "relu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public MonteCarloEstimate tightness(NetworkShape shape, int samples, long seed,
      ExperimentContext context) {
    InputFormat format = new InputFormat(1, 1, shape.inputDimension(), new float[] {0f},
        new float[] {1f}, Math.max(2, shape.outputDimension()));
    int[] hidden = Collections.nCopies(shape.depth() - 1, shape.width()).stream()
        .mapToInt(Integer::intValue).toArray();
    Architectures.Spec spec = new Architectures.Spec("fc", 1, hidden);
    Random seeds = new Random(seed);
    double[] values = new double[samples];
    try (NDManager manager = context.manager().newSubManager()) {
      for (int s = 0; s < samples; s++) {
        try (Network network = Architectures.build(spec, format, Initialization.DEFAULT,
            seeds.nextLong(), manager); NDManager scope = manager.newSubManager()) {
          scope.getEngine().setRandomSeed((int) seeds.nextLong());
          NDArray x = scope.randomUniform(0, 1, new Shape(1, 1, 1, shape.inputDimension()));
          values[s] = LocalTightness.perExample(network, x, null, 0,
              LocalTightness.Activations.LOCAL)[0];
        }
      }
    }
    return MonteCarloEstimate.mean(values);
  }
}
