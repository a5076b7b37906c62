package org.certkit.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.certkit.net.InputFormat;

/**
 * A supported data set, with its command-line id, image shape, class count, per-channel
 * normalisation and the number of images in each official split.
 */
public enum DatasetName {
  MNIST("mnist", 1, 28, 28, new float[] {0.1307f}, new float[] {0.3081f}, 60_000, 10_000),
  FASHION_MNIST(
      "fashion-mnist", 1, 28, 28, new float[] {0.2860f}, new float[] {0.3530f}, 60_000, 10_000),
  CIFAR10(
      "cifar10",
      3,
      32,
      32,
      new float[] {0.4914f, 0.4822f, 0.4465f},
      new float[] {0.2023f, 0.1994f, 0.2010f},
      50_000,
      10_000);

  private final String id;
  private final int channels;
  private final int height;
  private final int width;
  private final float[] mean;
  private final float[] std;
  private final int trainSize;
  private final int testSize;

  DatasetName(
      String id,
      int channels,
      int height,
      int width,
      float[] mean,
      float[] std,
      int trainSize,
      int testSize) {
    this.id = id;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.mean = mean;
    this.std = std;
    this.trainSize = trainSize;
    this.testSize = testSize;
  }

  /**
   * Returns the data set whose command-line id is {@code id}, ignoring case.
   *
   * @throws IllegalArgumentException if no data set has that id; the message lists the valid ids
   */
  public static DatasetName parse(String id) {
    for (DatasetName d : values()) {
      if (d.id.equalsIgnoreCase(id.trim())) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "unknown data set '" + id + "'; valid: " + Arrays.stream(values())
            .map(DatasetName::id)
            .collect(Collectors.joining(", ")));
  }

  /** The command-line id, also the name of the data set's directory under a data root. */
  public String id() {
    return id;
  }

  /** Image channels: 1 for the MNIST family, 3 for CIFAR-10. */
  public int channels() {
    return channels;
  }

  /** Image height in pixels. */
  public int height() {
    return height;
  }

  /** Image width in pixels. */
  public int width() {
    return width;
  }

  /** Number of classes; labels are in {@code 0..numClasses()-1}. */
  public int numClasses() {
    return 10;
  }

  /** Per-channel mean of pixel values in [0, 1] over the training set. */
  public float[] mean() {
    return mean.clone();
  }

  /** Per-channel standard deviation of pixel values in [0, 1] over the training set. */
  public float[] std() {
    return std.clone();
  }

  /** Number of images in the official {@code split}. */
  public int expectedSize(Split split) {
    return split == Split.TRAIN ? trainSize : testSize;
  }

  /** What a network for this dataset consumes: shape, normalisation and class count. */
  public InputFormat inputFormat() {
    return new InputFormat(channels(), height(), width(), mean(), std(), numClasses());
  }

  /** The split's name as used in data set names and messages, e.g. {@code "mnist-test"}. */
  String label(Split split) {
    return id + "-" + split.name().toLowerCase(Locale.ROOT);
  }
}
