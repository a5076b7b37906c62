package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.io.Json;
import org.certkit.net.Network;
import org.certkit.tightness.LocalTightness;
import org.certkit.tightness.TightnessSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code certkit tightness}: local propagation tightness of a model on test images. */
@Command(name = "tightness", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Local propagation tightness (Mao et al., Definition 3.6): optimal-box slope"
        + " over IBP-box slope with the activation pattern of each clean test image, last layer"
        + " merged with the margins y_k - y_label, averaged over k != label.",
        "Prints mean and median and writes a histogram PNG."})
final class TightnessCommand implements Callable<Integer> {

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;

  @Mixin ModelFileOptions model;

  @Option(names = "--n", defaultValue = "1000",
      description = "Test images (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--eps", defaultValue = "0",
      description = "Input radius used only to clip the box at [0,1] (pixels at the boundary"
          + " then count with a smaller half-width); 0 = uniform radius (default).")
  double eps;

  @Option(names = "--batch-size", defaultValue = "50",
      description = "Examples per batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--json", description = "Write mean, median, n to this JSON file.")
  Path json;

  @Option(names = "--png", description = "Histogram file (default: next to the model).")
  Path png;

  @Override
  public Integer call() throws Exception {
    if (n < 1 || batchSize < 1 || !(eps >= 0)) {
      throw new IllegalArgumentException("need --n >= 1, --batch-size >= 1 and --eps >= 0");
    }
    TightnessSummary summary;
    try (NDManager manager = NDManager.newBaseManager();
        Network network = model.load(data, manager)) {
      ImageDataset test = data.load(Split.TEST);
      try (ProgressBar bar = progress.bar("tightness", Math.min(n, test.size()))) {
        summary = TightnessSummary.measure(network, test, n, eps, batchSize,
            LocalTightness.Activations.LOCAL, manager, bar::stepTo);
      }
    }
    Path histogram = png != null ? png
        : model.file.toAbsolutePath().resolveSibling("tightness.png");
    Plots.tightnessHistogram(summary.perExample(), histogram);
    System.out.printf("tightness over %d test images: mean %.4g, median %.4g; histogram %s%n",
        summary.perExample().length, summary.mean(), summary.median(), histogram);
    if (json != null) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("mean", summary.mean());
      out.put("median", summary.median());
      out.put("n", summary.perExample().length);
      out.put("eps", eps);
      out.put("model", model.file.toString());
      Json.write(json, out);
    }
    return 0;
  }
}
