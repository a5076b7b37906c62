package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.certkit.internal.Constants;
import org.certkit.net.Network;

/**
 * Adam (Kingma and Ba, 2015) whose moment estimates are plain arrays that checkpoints can save and
 * restore, so a resumed run continues exactly.
 *
 * <p>The update itself is the engine's fused Adam kernel (the one DJL's {@code Adam} calls); only
 * the state lives here, because DJL's optimiser keeps its moments private. Gradients are not
 * clipped by the kernel (see {@link GradientClipping}).
 *
 * <p><b>Weight decay</b> (optional, default 0) is the coupled L2 term of
 * {@code torch.optim.Adam(weight_decay=lambda)}: the gradient used by the update is
 * {@code g + lambda w}, so the decay enters both moment estimates (unlike AdamW's decoupled
 * {@code w -= lr lambda w}). It applies to every parameter, biases included, as in torch.
 */
public final class AdamOptimizer implements AutoCloseable {

  private final NDManager manager;
  private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
  private final float beta1;
  private final float beta2;
  private final float epsilon;
  private final float weightDecay;
  private long step;

  /**
   * Zero-initialised moments for every parameter of {@code network}, in a sub-manager of the
   * network's manager, without weight decay.
   */
  public AdamOptimizer(Network network, float beta1, float beta2, float epsilon) {
    this(network, beta1, beta2, epsilon, 0f);
  }

  /**
   * Zero-initialised moments for every parameter of {@code network}, in a sub-manager of the
   * network's manager.
   *
   * @param weightDecay the coupled L2 coefficient {@code lambda}, finite and at least 0
   */
  public AdamOptimizer(Network network, float beta1, float beta2, float epsilon,
      float weightDecay) {
    if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weight decay must be finite and >= 0, got "
          + weightDecay);
    }
    this.manager = network.manager().newSubManager();
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    for (Network.NamedArray p : network.parameters()) {
      firstMoments.put(p.name(), manager.zeros(p.array().getShape(), p.array().getDataType()));
      secondMoments.put(p.name(), manager.zeros(p.array().getShape(), p.array().getDataType()));
    }
  }

  /** Adam with the usual defaults {@code beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8}. */
  public AdamOptimizer(Network network) {
    this(network, 0.9f, 0.999f, 1e-8f);
  }

  /** The coupled L2 coefficient {@code lambda}. */
  public float weightDecay() {
    return weightDecay;
  }

  /** Number of updates applied so far. */
  public long step() {
    return step;
  }

  /**
   * Applies one update to every parameter in place.
   *
   * @param parameters the network's parameters, whose gradients hold the step's gradient
   * @param gradients one gradient per parameter, same order; not modified (the weight-decay term
   *     is added to a temporary copy)
   * @param learningRate the step's learning rate
   */
  public void update(List<Network.NamedArray> parameters, List<NDArray> gradients,
      float learningRate) {
    step++;
    double biasCorrection1 = 1 - Math.pow(beta1, step);
    double biasCorrection2 = 1 - Math.pow(beta2, step);
    float correctedRate = (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
    for (int i = 0; i < parameters.size(); i++) {
      Network.NamedArray p = parameters.get(i);
      NDArray weight = p.array();
      NDArray gradient = gradients.get(i);
      NDArray decayed = null;
      if (weightDecay != 0) {
        // g + lambda w, in the gradient's manager; the temporary lambda w is freed at once.
        try (NDArray penalty = weight.mul(Constants.scalar(weight, weightDecay))) {
          decayed = gradient.add(penalty);
        }
        gradient = decayed;
      }
      NDList inputs = new NDList(weight, gradient, firstMoments.get(p.name()),
          secondMoments.get(p.name()));
      weight.getNDArrayInternal().adamUpdate(inputs, new NDList(weight), learningRate,
          correctedRate, 0f, 1f, -1f, beta1, beta2, epsilon, false, false);
      if (decayed != null) {
        decayed.close();
      }
    }
  }

  /** The optimiser state as named arrays, for checkpoints. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    firstMoments.forEach((k, v) -> out.put("adam.m." + k, v));
    secondMoments.forEach((k, v) -> out.put("adam.v." + k, v));
    return out;
  }

  /** Restores moments and the step count written by {@link #state()}. */
  public void restore(Map<String, NDArray> saved, long savedStep) {
    for (Map.Entry<String, NDArray> e : state().entrySet()) {
      NDArray value = saved.get(e.getKey());
      if (value == null) {
        throw new IllegalArgumentException("optimiser state is missing " + e.getKey());
      }
      e.getValue().set(value.toByteBuffer());
    }
    this.step = savedStep;
  }

  @Override
  public void close() {
    manager.close();
  }
}
