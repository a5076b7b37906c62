package org.certkit.net;

import ai.djl.ndarray.types.Shape;

/**
 * What a network consumes and produces: image shape, per-channel normalisation and class count.
 *
 * @param channels image channels
 * @param height image height in pixels
 * @param width image width in pixels
 * @param mean per-channel mean of the {@link Normalize} layer, pixel values in [0, 1]
 * @param std per-channel standard deviation of the {@link Normalize} layer
 * @param numClasses number of output logits
 */
public record InputFormat(
    int channels, int height, int width, float[] mean, float[] std, int numClasses) {

  /** Validates sizes. */
  public InputFormat {
    if (channels < 1 || height < 1 || width < 1 || numClasses < 2) {
      throw new IllegalArgumentException("invalid input format " + channels + "x" + height + "x"
          + width + " with " + numClasses + " classes");
    }
    if (mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException("need one mean and std per channel (" + channels + ")");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** The shape of one input without the batch axis. */
  public Shape shape() {
    return new Shape(channels, height, width);
  }

  /** Number of input scalars per example. */
  public int size() {
    return channels * height * width;
  }
}
