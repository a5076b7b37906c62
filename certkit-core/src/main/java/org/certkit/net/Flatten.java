package org.certkit.net;

/** Reshapes {@code [N, C, H, W]} (or any rank) to {@code [N, C*H*W]}. */
public record Flatten() implements Layer {
  @Override
  public String describe() {
    return "Flatten";
  }
}
