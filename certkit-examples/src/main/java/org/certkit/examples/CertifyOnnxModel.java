package org.certkit.examples;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import org.certkit.certify.Certifier;
import org.certkit.certify.Verdict;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.io.ModelFile;
import org.certkit.net.Network;

/** Loads an ONNX model and certifies the first 100 MNIST test images: {@code MODEL EPS [DATA]}. */
public final class CertifyOnnxModel {

  private CertifyOnnxModel() {}

  /** Prints how many of the images the sound cascade (IBP, CROWN, alpha-CROWN) certifies. */
  public static void main(String[] args) throws Exception {
    double eps = Double.parseDouble(args[1]);
    Path data = args.length > 2 ? Path.of(args[2]) : DatasetStore.defaultRoot();
    DatasetFetcher.fetch(DatasetName.MNIST, data, System.err::println);
    ImageDataset test = DatasetStore.load(DatasetName.MNIST, Split.TEST, data).subset(100);
    try (NDManager manager = NDManager.newBaseManager();
        Network network = ModelFile.load(Path.of(args[0]), DatasetName.MNIST.inputFormat(),
            manager)) {
      int[] all = java.util.stream.IntStream.range(0, test.size()).toArray();
      Verdict[] verdicts = new Certifier(Certifier.Method.AUTO).certify(network,
          test.images(manager, all), test.labels(manager, all), eps);
      long certified = Arrays.stream(verdicts).filter(v -> v instanceof Verdict.Certified)
          .count();
      System.out.printf("certified %d of %d at eps %s%n", certified, verdicts.length, eps);
    }
  }
}
