package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.certkit.internal.Constants;
import org.certkit.internal.EngineMemory;
import org.certkit.net.Network;

/**
 * Adam (Kingma and Ba, 2015) whose moment estimates are plain arrays that checkpoints can save and
 * restore, so a resumed run continues exactly.
 *
 * <p>The update is one pass over each float32 parameter, its gradient and its two moments, run in
 * Java on the arrays' own memory (the engine's CPU tensors, seen through direct buffers) and split
 * over the cores: the engine's fused Adam kernel (the one DJL's {@code Adam} calls) issues about
 * 18 native operations per parameter, each a pass over memory, which made the optimiser 12% of a
 * CNN7 training step. Parameters whose storage is not a plain contiguous float32 block take that
 * kernel. Gradient clipping enters as a factor of that same pass ({@link GradientClipping#scale}).
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
  /**
   * The parameter arrays (by identity) updated in place through their memory; the others, and an
   * array a network puts in a parameter's place later, take the engine kernel.
   */
  private final Set<NDArray> inPlace = Collections.newSetFromMap(new IdentityHashMap<>());
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
      NDArray m = manager.zeros(p.array().getShape(), p.array().getDataType());
      NDArray v = manager.zeros(p.array().getShape(), p.array().getDataType());
      firstMoments.put(p.name(), m);
      secondMoments.put(p.name(), v);
      if (EngineMemory.sharesMemory(p.array()) && EngineMemory.sharesMemory(m)
          && EngineMemory.sharesMemory(v)) {
        inPlace.add(p.array());
      }
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

  /** Whether {@code parameter} is updated in place through its memory (else by the engine). */
  boolean updatesInPlace(NDArray parameter) {
    return inPlace.contains(parameter);
  }

  /** From now on every parameter takes the engine kernel (to compare the two routes). */
  void useEngineKernelOnly() {
    inPlace.clear();
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
    update(parameters, gradients, learningRate, 1f);
  }

  /**
   * Applies one update to every parameter in place, of the gradients times a factor applied in
   * the same pass.
   *
   * @param parameters the network's parameters
   * @param gradients one gradient per parameter, same order; not modified
   * @param learningRate the step's learning rate
   * @param gradientScale the factor, such as {@link GradientClipping#scale}'s (1 for none)
   */
  public void update(List<Network.NamedArray> parameters, List<NDArray> gradients,
      float learningRate, float gradientScale) {
    step++;
    double biasCorrection1 = 1 - Math.pow(beta1, step);
    double biasCorrection2 = 1 - Math.pow(beta2, step);
    float correctedRate = (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
    for (int i = 0; i < parameters.size(); i++) {
      Network.NamedArray p = parameters.get(i);
      NDArray weight = p.array();
      NDArray gradient = gradients.get(i);
      if (inPlace.contains(weight) && gradient.getDataType() == DataType.FLOAT32) {
        updateInPlace(EngineMemory.floats(weight), EngineMemory.floats(gradient),
            EngineMemory.floats(firstMoments.get(p.name())),
            EngineMemory.floats(secondMoments.get(p.name())), correctedRate, gradientScale);
        continue;
      }
      NDArray decayed = null;
      float rescale = gradientScale;
      if (weightDecay != 0) {
        // s g + lambda w, in the gradient's manager; the temporary lambda w is freed at once.
        try (NDArray penalty = weight.mul(Constants.scalar(weight, weightDecay))) {
          decayed = gradientScale == 1 ? gradient.add(penalty)
              : gradient.mul(Constants.scalar(gradient, gradientScale)).addi(penalty);
        }
        gradient = decayed;
        rescale = 1f;
      }
      NDList inputs = new NDList(weight, gradient, firstMoments.get(p.name()),
          secondMoments.get(p.name()));
      weight.getNDArrayInternal().adamUpdate(inputs, new NDList(weight), learningRate,
          correctedRate, 0f, rescale, -1f, beta1, beta2, epsilon, false, false);
      if (decayed != null) {
        decayed.close();
      }
    }
  }

  /**
   * One Adam update of {@code w} with gradient {@code scale g} ({@code g} read only) and moments
   * {@code m}, {@code v}, all of one length, split over the cores.
   */
  private void updateInPlace(FloatBuffer w, FloatBuffer g, FloatBuffer m, FloatBuffer v,
      float rate, float scale) {
    float decay = weightDecay;
    float keep1 = beta1;
    float keep2 = beta2;
    float new1 = 1 - beta1;
    float new2 = 1 - beta2;
    float eps = epsilon;
    EngineMemory.inParts(w.limit(), (from, to) -> {
      for (int j = from; j < to; j++) {
        float wj = w.get(j);
        float gj = scale * g.get(j) + decay * wj;
        float mj = keep1 * m.get(j) + new1 * gj;
        float vj = keep2 * v.get(j) + new2 * gj * gj;
        m.put(j, mj);
        v.put(j, vj);
        w.put(j, wj - rate * mj / ((float) Math.sqrt(vj) + eps));
      }
      return 0;
    });
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
