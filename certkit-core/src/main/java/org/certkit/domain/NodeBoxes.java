package org.certkit.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/**
 * The boxes one interval computation went through, keyed by node: the input box (widened for
 * its own rounding in OUTWARD mode) and the box of every evaluated node, in node order. They
 * belong to the computation, never to the layers.
 *
 * @param input the box of {@link Network#INPUT}
 * @param nodes the box of node {@code i} at index {@code i}; the first nodes only when the
 *     computation stopped early (a merged last layer is never evaluated as a box); null for a
 *     node in {@code deferred}
 * @param deferred the nodes the computation went past without their own box (an affine layer
 *     folded into the BatchNorm after it), each with how to compute its box when asked
 */
public record NodeBoxes(Box input, List<Box> nodes, Map<Integer, Supplier<Box>> deferred) {

  /** Copies the list and the map. */
  public NodeBoxes {
    nodes = Collections.unmodifiableList(new ArrayList<>(nodes));
    deferred = Map.copyOf(deferred);
  }

  /** Boxes of every node, none deferred. */
  public NodeBoxes(Box input, List<Box> nodes) {
    this(input, nodes, Map.of());
  }

  /**
   * The box of {@code node}, or the input box for {@link Network#INPUT}; a deferred node's box
   * is computed now (each call computes it again).
   */
  public Box of(int node) {
    if (node == Network.INPUT) {
      return input;
    }
    Supplier<Box> later = deferred.get(node);
    return later != null ? later.get() : nodes.get(node);
  }

  /**
   * The boxes at the inputs of the evaluated ReLU nodes of {@code network}, in node order: the
   * pre-activation bounds that regularisers and relaxations need.
   */
  public List<Box> reluInputs(Network network) {
    List<Box> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (network.layers().get(i) instanceof Relu) {
        out.add(of(network.inputs(i)[0]));
      }
    }
    return out;
  }
}
