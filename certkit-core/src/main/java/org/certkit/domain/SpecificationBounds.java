package org.certkit.domain;

import ai.djl.ndarray.NDArray;

/**
 * The answer of one specification bound computation: the lower bounds of every row and the
 * boxes of the nodes it went through.
 *
 * @param lower {@code [N, S]}
 * @param boxes the boxes by node
 */
public record SpecificationBounds(NDArray lower, NodeBoxes boxes) {}
