package org.certkit.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import picocli.CommandLine.Option;

/** Options that pick a dataset and where its files live. */
final class DataOptions {

  @Option(names = {"--dataset", "--data"}, defaultValue = "mnist",
      description = "mnist, fashion-mnist or cifar10 (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--data-dir",
      description = "Dataset root (default: $CERTKIT_DATA or ~/.certkit/data).")
  Path dataDir;

  DatasetName name() {
    return DatasetName.parse(dataset);
  }

  Path root() {
    return dataDir != null ? dataDir : DatasetStore.defaultRoot();
  }

  private boolean fetched;

  /** Loads a split, fetching the dataset first when its files are missing. */
  ImageDataset load(Split split) throws IOException {
    if (!fetched) {
      DatasetFetcher.fetch(name(), root(), message -> System.err.println("data: " + message));
      fetched = true;
    }
    return DatasetStore.load(name(), split, root());
  }
}
