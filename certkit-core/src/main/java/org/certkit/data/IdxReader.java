package org.certkit.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader of the IDX files that hold MNIST and Fashion-MNIST: an images file (magic 0x00000803,
 * big-endian count, rows, columns, then uint8 pixels) and a labels file (magic 0x00000801,
 * count, then one uint8 label per image), each raw or gzip-compressed.
 */
public final class IdxReader {

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;
  private static final int IMAGES_HEADER = 16;
  private static final int LABELS_HEADER = 8;

  private IdxReader() {}

  /**
   * Reads an images file and its labels file into one data set.
   *
   * @param dataset gives the required image size and class count
   * @param name the resulting data set's {@link ImageDataset#name()}
   * @throws DatasetFormatException naming the file if a magic number, a size, the image
   *     dimensions or a label is wrong, or if the two files disagree on the number of images
   * @throws IOException if a file cannot be read
   */
  public static ImageDataset read(DatasetName dataset, String name, Path images, Path labels)
      throws IOException {
    byte[] imageBytes = readMaybeGzip(images);
    ByteBuffer header = checkHeader(images, imageBytes, IMAGES_MAGIC, IMAGES_HEADER, "images");
    int count = header.getInt(4);
    int rows = header.getInt(8);
    int cols = header.getInt(12);
    if (rows != dataset.height() || cols != dataset.width()) {
      throw new DatasetFormatException(images, "images are " + rows + "x" + cols + ", expected "
          + dataset.height() + "x" + dataset.width() + " for " + dataset.id());
    }
    checkLength(images, imageBytes, IMAGES_HEADER + (long) count * rows * cols);

    byte[] labelBytes = readMaybeGzip(labels);
    int labelCount =
        checkHeader(labels, labelBytes, LABELS_MAGIC, LABELS_HEADER, "labels").getInt(4);
    checkLength(labels, labelBytes, LABELS_HEADER + (long) labelCount);
    if (labelCount != count) {
      throw new DatasetFormatException(labels, "has " + labelCount + " labels but " + images
          + " has " + count + " images");
    }
    byte[] labelArray = Arrays.copyOfRange(labelBytes, LABELS_HEADER, labelBytes.length);
    for (int i = 0; i < labelArray.length; i++) {
      if (labelArray[i] < 0 || labelArray[i] >= dataset.numClasses()) {
        throw new DatasetFormatException(labels, "label " + (labelArray[i] & 0xFF) + " at index "
            + i + " is outside 0.." + (dataset.numClasses() - 1));
      }
    }
    return new ImageDataset(name, 1, rows, cols, dataset.numClasses(),
        Arrays.copyOfRange(imageBytes, IMAGES_HEADER, imageBytes.length), labelArray);
  }

  /** Whether {@code file} starts with the gzip magic bytes 1f 8b. */
  static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }

  private static byte[] readMaybeGzip(Path file) throws IOException {
    if (!isGzip(file)) {
      return Files.readAllBytes(file);
    }
    try (InputStream in =
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      return in.readAllBytes();
    } catch (EOFException e) {
      throw new DatasetFormatException(file, "truncated gzip data", e);
    } catch (ZipException e) {
      throw new DatasetFormatException(file, "corrupt gzip data: " + e.getMessage(), e);
    }
  }

  private static ByteBuffer checkHeader(
      Path file, byte[] bytes, int magic, int headerSize, String kind) throws IOException {
    if (bytes.length < headerSize) {
      throw new DatasetFormatException(file, "truncated: expected at least " + headerSize
          + " bytes of IDX " + kind + " header, got " + bytes.length);
    }
    ByteBuffer header = ByteBuffer.wrap(bytes, 0, headerSize); // big-endian by default
    int found = header.getInt(0);
    if (found != magic) {
      throw new DatasetFormatException(file, String.format(
          "bad magic 0x%08x, expected 0x%08x for IDX %s", found, magic, kind));
    }
    for (int offset = 4; offset < headerSize; offset += 4) {
      if (header.getInt(offset) < 0) {
        throw new DatasetFormatException(file, "negative dimension " + header.getInt(offset)
            + " in IDX " + kind + " header");
      }
    }
    return header;
  }

  private static void checkLength(Path file, byte[] bytes, long expected)
      throws DatasetFormatException {
    if (bytes.length < expected) {
      throw new DatasetFormatException(
          file, "truncated: expected " + expected + " bytes, got " + bytes.length);
    }
    if (bytes.length > expected) {
      throw new DatasetFormatException(file, "expected " + expected + " bytes, got "
          + bytes.length + " (trailing data after the last record)");
    }
  }
}
