package org.certkit.net;

/**
 * One layer of a feed-forward network, the operation of one {@link Network} node: the closed family
 * every abstract domain must handle. Every layer reads one node's output but {@link Add}, which
 * reads two.
 *
 * <p>Layers are immutable records holding their parameter arrays; an optimiser updates those arrays
 * in place. Intermediate results (activations, bounds, batch statistics) never live on a layer: they
 * belong to the computation that produced them. Every domain handles every layer with an exhaustive
 * {@code switch} without a {@code default} branch, so adding a layer here makes the compiler list
 * each domain that must learn it.
 *
 * <p>Shapes are batch first: {@code [N, features]} for dense layers and {@code [N, C, H, W]} for
 * convolutional ones.
 */
public sealed interface Layer
    permits Linear, Conv2d, Relu, BatchNorm, Flatten, Normalize, Add, AvgPool, MaxPool, Sigmoid,
        Tanh {

  /** A short human-readable description, such as {@code Conv2d(1->16, k5, s2, p2)}. */
  String describe();
}
