package org.certkit.domain;

import java.util.ArrayList;
import java.util.List;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/**
 * The boxes one interval computation went through, keyed by node: the input box (widened for
 * its own rounding in OUTWARD mode) and the box of every evaluated node, in node order. They
 * belong to the computation, never to the layers.
 *
 * @param input the box of {@link Network#INPUT}
 * @param nodes the box of node {@code i} at index {@code i}; the first nodes only when the
 *     computation stopped early (a merged last layer is never evaluated as a box)
 */
public record NodeBoxes(Box input, List<Box> nodes) {

  /** Copies the list. */
  public NodeBoxes {
    nodes = List.copyOf(nodes);
  }

  /** The box of {@code node}, or the input box for {@link Network#INPUT}. */
  public Box of(int node) {
    return node == Network.INPUT ? input : nodes.get(node);
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
