package org.certkit.net;

/**
 * The elementwise sum of two nodes' outputs of the same shape: the join of a residual (skip)
 * connection, or of two branches. The only layer with two inputs.
 */
public record Add() implements Layer {
  @Override
  public String describe() {
    return "Add";
  }
}
