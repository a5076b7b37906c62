package org.certkit.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The on-disk layout of the data sets under a data root, and loading a split from it.
 *
 * <p>Each data set lives in {@code root/<id>} ({@link DatasetName#id()}). MNIST and Fashion-MNIST
 * use the original IDX names ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}), each raw or with {@code .gz};
 * CIFAR-10 uses the official binary batches, directly in {@code root/cifar10} or in its
 * {@code cifar-10-batches-bin} subdirectory.
 */
public final class DatasetStore {

  /** Environment variable that overrides {@link #defaultRoot()}. */
  public static final String ROOT_ENV = "CERTKIT_DATA";

  static final String CIFAR_SUBDIR = "cifar-10-batches-bin";
  static final String GZ = ".gz";

  private DatasetStore() {}

  /** The data root: {@code $CERTKIT_DATA} if set, else {@code ~/.certkit/data}. */
  public static Path defaultRoot() {
    String env = System.getenv(ROOT_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".certkit", "data");
  }

  /** The directory of {@code dataset} under {@code root}. */
  public static Path directory(DatasetName dataset, Path root) {
    return root.resolve(dataset.id());
  }

  /** The names of the files that hold {@code dataset}, both splits, without {@code .gz}. */
  public static List<String> fileNames(DatasetName dataset) {
    List<String> names = new ArrayList<>(fileNames(dataset, Split.TRAIN));
    names.addAll(fileNames(dataset, Split.TEST));
    return names;
  }

  /**
   * Loads one split of {@code dataset} from {@code root}.
   *
   * @throws FileNotFoundException naming the missing files and how to fetch them
   * @throws DatasetFormatException if a file is malformed
   * @throws IOException if a file cannot be read
   */
  public static ImageDataset load(DatasetName dataset, Split split, Path root)
      throws IOException {
    Path dir = directory(dataset, root);
    List<Path> files = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : fileNames(dataset, split)) {
      Path file = locate(dataset, dir, name);
      if (file == null) {
        missing.add(name);
      } else {
        files.add(file);
      }
    }
    if (!missing.isEmpty()) {
      throw new FileNotFoundException(missingMessage(dataset, split, dir, missing));
    }
    String name = dataset.label(split);
    return dataset == DatasetName.CIFAR10
        ? Cifar10Reader.read(name, files)
        : IdxReader.read(dataset, name, files.get(0), files.get(1));
  }

  /** The files of one split in reading order: IDX images then labels, or CIFAR-10 batches. */
  static List<String> fileNames(DatasetName dataset, Split split) {
    if (dataset == DatasetName.CIFAR10) {
      return split == Split.TRAIN
          ? List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
              "data_batch_4.bin", "data_batch_5.bin")
          : List.of("test_batch.bin");
    }
    String prefix = split == Split.TRAIN ? "train" : "t10k";
    return List.of(prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte");
  }

  /** The existing file for {@code name} in {@code dir} under the accepted variants, or null. */
  static Path locate(DatasetName dataset, Path dir, String name) {
    List<Path> candidates = dataset == DatasetName.CIFAR10
        ? List.of(dir.resolve(name), dir.resolve(CIFAR_SUBDIR).resolve(name))
        : List.of(dir.resolve(name), dir.resolve(name + GZ));
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static String missingMessage(
      DatasetName dataset, Split split, Path dir, List<String> missing) {
    String where = dataset == DatasetName.CIFAR10
        ? dir + " (or " + dir.resolve(CIFAR_SUBDIR) + ")"
        : dir + " (each raw or gzip-compressed with .gz)";
    return dataset.label(split) + ": missing " + String.join(", ", missing) + " in " + dir
        + ". Run `./certkit data fetch " + dataset.id() + "`, or put the files "
        + String.join(", ", fileNames(dataset)) + " into " + where + ".";
  }
}
