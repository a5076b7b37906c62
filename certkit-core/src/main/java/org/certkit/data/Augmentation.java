package org.certkit.data;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Training-time image augmentation: a random crop of the original size from the image padded with
 * zeros on every side, and an optional random horizontal flip. The CIFAR-10 recipe of the
 * reference codebases is {@link #CIFAR10} (2-pixel padding, flip).
 *
 * @param padding zero padding in pixels on each side before cropping; 0 for no crop
 * @param horizontalFlip whether each image is mirrored with probability 1/2
 */
public record Augmentation(int padding, boolean horizontalFlip) {

  /** No augmentation. */
  public static final Augmentation NONE = new Augmentation(0, false);

  /** Random crop with 2-pixel zero padding and random horizontal flip. */
  public static final Augmentation CIFAR10 = new Augmentation(2, true);

  /** Validates the padding. */
  public Augmentation {
    if (padding < 0) {
      throw new IllegalArgumentException("padding must be >= 0, got " + padding);
    }
  }

  /** Whether this changes images at all (derived, so not part of the JSON form). */
  @JsonIgnore
  public boolean isIdentity() {
    return padding == 0 && !horizontalFlip;
  }
}
