package org.certkit.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reader of the official CIFAR-10 binary batches ({@code data_batch_1.bin} ..
 * {@code data_batch_5.bin}, {@code test_batch.bin}): records of one label byte followed by 3072
 * pixel bytes, the 32×32 red plane, then green, then blue.
 */
public final class Cifar10Reader {

  private static final int PIXELS = 3 * 32 * 32;
  private static final int RECORD = 1 + PIXELS;

  private Cifar10Reader() {}

  /**
   * Reads the batch files in order into one data set. Any whole number of records per file is
   * accepted (the official files hold 10000 each).
   *
   * @param name the resulting data set's {@link ImageDataset#name()}
   * @throws DatasetFormatException naming the file if it is empty, its length is not a multiple
   *     of 3073 bytes or a label is outside 0..9
   * @throws IOException if a file cannot be read
   */
  public static ImageDataset read(String name, List<Path> batchFiles) throws IOException {
    List<byte[]> contents = new ArrayList<>();
    long total = 0;
    for (Path file : batchFiles) {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length == 0 || bytes.length % RECORD != 0) {
        throw new DatasetFormatException(file, "length " + bytes.length
            + " is not a positive multiple of the " + RECORD + "-byte CIFAR-10 record");
      }
      contents.add(bytes);
      total += bytes.length / RECORD;
    }
    if (total * PIXELS > Integer.MAX_VALUE - 8) {
      throw new IOException(name + ": " + total + " CIFAR-10 images do not fit in one array");
    }
    int numClasses = DatasetName.CIFAR10.numClasses();
    byte[] pixels = new byte[(int) total * PIXELS];
    byte[] labels = new byte[(int) total];
    int n = 0;
    for (int f = 0; f < contents.size(); f++) {
      byte[] bytes = contents.get(f);
      for (int r = 0; r < bytes.length / RECORD; r++, n++) {
        int label = bytes[r * RECORD] & 0xFF;
        if (label >= numClasses) {
          throw new DatasetFormatException(batchFiles.get(f), "label " + label + " of record " + r
              + " is outside 0.." + (numClasses - 1));
        }
        labels[n] = (byte) label;
        System.arraycopy(bytes, r * RECORD + 1, pixels, n * PIXELS, PIXELS);
      }
    }
    return new ImageDataset(name, 3, 32, 32, numClasses, pixels, labels);
  }
}
