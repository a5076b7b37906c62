package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.Map;

/**
 * Case splits on ReLU inputs, one set per example: the subproblems of branch and bound. For ReLU
 * node {@code r} the array {@code signs.get(r)} ({@code [N, ...units]} of the ReLU's input,
 * int8) holds per example and unit {@code +1} (only inputs where the unit's pre-activation is
 * at least 0), {@code -1} (at most 0) or {@code 0} (no split). A domain bounding under splits
 * bounds the network over the points of the input set that satisfy them; where the splits leave
 * no point the bounds are vacuous, which {@link LinearBoundDomain.BranchBounds#infeasible}
 * reports.
 *
 * @param signs per ReLU node index, the signs of its input units; nodes without splits may be
 *     missing
 */
public record ReluSplits(Map<Integer, NDArray> signs) {

  /** Copies the map and checks the arrays' type. */
  public ReluSplits {
    signs = Map.copyOf(signs);
    for (Map.Entry<Integer, NDArray> e : signs.entrySet()) {
      if (e.getValue().getDataType() != DataType.INT8) {
        throw new IllegalArgumentException("signs of ReLU node " + e.getKey()
            + " must be int8, got " + e.getValue().getDataType());
      }
    }
  }

  /** No splits. */
  public static ReluSplits none() {
    return new ReluSplits(Map.of());
  }

  /** The splits of examples {@code examples} (an index along the batch axis). */
  ReluSplits rows(NDIndex examples) {
    Map<Integer, NDArray> part = new HashMap<>();
    signs.forEach((node, s) -> part.put(node, s.get(examples)));
    return new ReluSplits(part);
  }
}
