package org.certkit.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;

/**
 * An in-memory labelled image set stored as uint8 pixels in N×C×H×W order, handing out batches
 * as float32 arrays scaled to [0, 1].
 *
 * <p>Instances are immutable once built; the constructor takes ownership of its arrays.
 */
public final class ImageDataset {

  private final String name;
  private final int channels;
  private final int height;
  private final int width;
  private final int numClasses;
  private final byte[] pixels;
  private final byte[] labels;

  /**
   * Wraps the given arrays without copying them; the caller must not modify them afterwards.
   *
   * @param name a short description for messages, e.g. {@code "mnist-train"}
   * @param pixels {@code labels.length * channels * height * width} unsigned bytes, N×C×H×W
   * @param labels one class index in {@code 0..numClasses-1} per image
   * @throws IllegalArgumentException if a dimension is not positive, the array lengths disagree
   *     or a label is out of range
   */
  public ImageDataset(
      String name,
      int channels,
      int height,
      int width,
      int numClasses,
      byte[] pixels,
      byte[] labels) {
    if (channels < 1 || height < 1 || width < 1 || numClasses < 1) {
      throw new IllegalArgumentException(name + ": invalid image shape " + channels + "x" + height
          + "x" + width + " or class count " + numClasses);
    }
    long expected = (long) labels.length * channels * height * width;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(name + ": " + labels.length + " labels of " + channels
          + "x" + height + "x" + width + " images need " + expected + " pixel bytes, got "
          + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(name + ": label " + labels[i] + " of image " + i
            + " is outside 0.." + (numClasses - 1));
      }
    }
    this.name = name;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.numClasses = numClasses;
    this.pixels = pixels;
    this.labels = labels;
  }

  /** A short description for messages, e.g. {@code "mnist-train"}. */
  public String name() {
    return name;
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Channels per image. */
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

  /** Number of classes; every label is below it. */
  public int numClasses() {
    return numClasses;
  }

  /** The class index of image {@code i}. */
  public int label(int i) {
    return labels[i];
  }

  /**
   * The images at {@code indices} as a float32 array of shape [B, C, H, W] with values in [0, 1],
   * created in {@code manager}.
   *
   * @throws IndexOutOfBoundsException if an index is outside {@code 0..size()-1}
   */
  public NDArray images(NDManager manager, int[] indices) {
    int imageSize = channels * height * width;
    float[] out = new float[indices.length * imageSize];
    for (int b = 0; b < indices.length; b++) {
      int from = checkIndex(indices[b]) * imageSize;
      int to = b * imageSize;
      for (int k = 0; k < imageSize; k++) {
        out[to + k] = (pixels[from + k] & 0xFF) / 255f;
      }
    }
    return manager.create(out, new Shape(indices.length, channels, height, width));
  }

  /**
   * The images at {@code indices}, each randomly cropped and flipped as {@code augmentation}
   * says, as a float32 array of shape [B, C, H, W] with values in [0, 1] created in
   * {@code manager}.
   *
   * @param random draws the crop offsets and flips; its state advances
   */
  public NDArray images(NDManager manager, int[] indices, Augmentation augmentation,
      Random random) {
    if (augmentation.isIdentity()) {
      return images(manager, indices);
    }
    int imageSize = channels * height * width;
    int p = augmentation.padding();
    float[] out = new float[indices.length * imageSize];
    for (int b = 0; b < indices.length; b++) {
      int from = checkIndex(indices[b]) * imageSize;
      int dy = p == 0 ? 0 : random.nextInt(2 * p + 1) - p;
      int dx = p == 0 ? 0 : random.nextInt(2 * p + 1) - p;
      boolean flip = augmentation.horizontalFlip() && random.nextBoolean();
      for (int c = 0; c < channels; c++) {
        for (int i = 0; i < height; i++) {
          int si = i + dy;
          for (int j = 0; j < width; j++) {
            int sj = (flip ? width - 1 - j : j) + dx;
            boolean inside = si >= 0 && si < height && sj >= 0 && sj < width;
            out[b * imageSize + (c * height + i) * width + j] = inside
                ? (pixels[from + (c * height + si) * width + sj] & 0xFF) / 255f : 0f;
          }
        }
      }
    }
    return manager.create(out, new Shape(indices.length, channels, height, width));
  }

  /**
   * The labels at {@code indices} as an int64 array of shape [B], created in {@code manager}.
   *
   * @throws IndexOutOfBoundsException if an index is outside {@code 0..size()-1}
   */
  public NDArray labels(NDManager manager, int[] indices) {
    long[] out = new long[indices.length];
    for (int b = 0; b < indices.length; b++) {
      out[b] = labels[checkIndex(indices[b])];
    }
    return manager.create(out, new Shape(indices.length));
  }

  /**
   * The first {@code n} images with their labels.
   *
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@link #size()}
   */
  public ImageDataset subset(int n) {
    if (n < 0 || n > size()) {
      throw new IllegalArgumentException(
          name + ": cannot take the first " + n + " of " + size() + " images");
    }
    int imageSize = channels * height * width;
    return new ImageDataset(name, channels, height, width, numClasses,
        Arrays.copyOf(pixels, n * imageSize), Arrays.copyOf(labels, n));
  }

  /**
   * The images {@code indices} with their labels, in that order.
   *
   * @throws IllegalArgumentException if an index is outside the dataset
   */
  public ImageDataset select(int[] indices) {
    int imageSize = channels * height * width;
    byte[] chosenPixels = new byte[indices.length * imageSize];
    byte[] chosenLabels = new byte[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int k = indices[i];
      if (k < 0 || k >= size()) {
        throw new IllegalArgumentException(name + ": no image " + k + " among " + size());
      }
      System.arraycopy(pixels, k * imageSize, chosenPixels, i * imageSize, imageSize);
      chosenLabels[i] = labels[k];
    }
    return new ImageDataset(name, channels, height, width, numClasses, chosenPixels,
        chosenLabels);
  }

  /**
   * Splits all indices into mini-batches of {@code batchSize}, the last one possibly smaller.
   *
   * @param rng shuffles the indices first; {@code null} keeps them in order
   * @throws IllegalArgumentException if {@code batchSize} is not positive
   */
  public int[][] batches(int batchSize, Random rng) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    int n = size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (rng != null) {
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    int[][] out = new int[(n + batchSize - 1) / batchSize][];
    for (int b = 0; b < out.length; b++) {
      out[b] = Arrays.copyOfRange(order, b * batchSize, Math.min(n, (b + 1) * batchSize));
    }
    return out;
  }

  @Override
  public String toString() {
    return name + " (" + size() + " images " + channels + "x" + height + "x" + width + ")";
  }

  private int checkIndex(int i) {
    if (i < 0 || i >= labels.length) {
      throw new IndexOutOfBoundsException(
          name + ": image index " + i + " outside 0.." + (labels.length - 1));
    }
    return i;
  }
}
