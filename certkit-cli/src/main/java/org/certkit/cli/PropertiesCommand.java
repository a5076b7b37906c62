package org.certkit.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.AtomicFiles;
import org.certkit.io.ModelFile;
import org.certkit.io.onnx.OnnxExporter;
import org.certkit.io.vnnlib.VnnlibWriter;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code certkit properties}: VNNLIB local-robustness properties of test images and the
 * {@code instances.csv} that lists them, a benchmark in the layout of VNN-COMP's.
 */
@Command(name = "properties", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Writes VNNLIB local-robustness properties of test images for a verifier, in"
        + " the layout of a VNN-COMP benchmark: OUT/onnx/NAME.onnx, OUT/vnnlib/"
        + "NAME_idx<i>_eps<eps>.vnnlib and OUT/instances.csv (onnx,vnnlib,timeout per line,"
        + " paths relative to OUT).",
        "A property is unsafe (sat) if some input of the L-infinity box around the image has an"
            + " output Y_k >= Y_t for a class k other than its label t. The box is in [0, 1]"
            + " pixel space, as the ONNX model takes its input, flattened in row-major [1, C, H,"
            + " W] order. Its bounds are float32 values, as the model sees them: each pixel x ="
            + " byte/255 rounded to float32, then x - eps and x + eps rounded to the nearest"
            + " float32 and clipped to [0, 1].",
        "Test images the model misclassifies are skipped (their properties hold no question)"
            + " unless --all is given.",
        "Nothing is overwritten: an existing property file is an error; an existing"
            + " instances.csv is appended to; an existing OUT/onnx/NAME.onnx is used only when"
            + " it holds the same model."})
final class PropertiesCommand implements Callable<Integer> {

  private static final int BATCH = 256;

  @Mixin ModelFileOptions model;

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;

  @Option(names = "--eps", required = true, converter = Radius.Converter.class,
      description = "L-infinity radius in [0,1] pixel space, a decimal (0.03) or a fraction"
          + " (2/255); the property files are named after it as given (eps0.03, eps2_255).")
  Radius eps;

  @Option(names = "--n", description = "Take the first N test images (correctly classified"
      + " ones, unless --all).")
  Integer n;

  @Option(names = "--indices", paramLabel = "LIST",
      description = "Test images to use instead of the first --n, such as 3,17,100-199.")
  String indices;

  @Option(names = "--all", description = "Keep the images the model misclassifies.")
  boolean all;

  @Option(names = "--timeout", required = true, paramLabel = "SECONDS",
      description = "Time limit of each instance, written to instances.csv.")
  int timeout;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "The benchmark directory (created when missing).")
  Path out;

  @Option(names = "--onnx-name", paramLabel = "NAME.onnx",
      description = "File name of the model under OUT/onnx (default: the model's file name"
          + " with .onnx for its extension).")
  String onnxName;

  @Spec CommandSpec spec;

  /**
   * An L-infinity radius with the text it was given as, for file names.
   *
   * @param value the radius in [0, 1] pixel space
   * @param text the radius as given, without trailing zeros: {@code 0.03} or {@code 2/255}
   */
  record Radius(double value, String text) {

    /** The radius in file names: {@code 0.03}, or {@code 2_255} for 2/255. */
    String fileLabel() {
      return text.replace('/', '_');
    }

    /** Reads {@code 0.03} or {@code 2/255}. */
    static final class Converter implements ITypeConverter<Radius> {
      @Override
      public Radius convert(String text) {
        String t = text.trim();
        try {
          int slash = t.indexOf('/');
          Radius radius;
          if (slash < 0) {
            BigDecimal decimal = new BigDecimal(t);
            radius = new Radius(decimal.doubleValue(),
                decimal.stripTrailingZeros().toPlainString());
          } else {
            BigDecimal numerator = new BigDecimal(t.substring(0, slash).trim());
            BigDecimal denominator = new BigDecimal(t.substring(slash + 1).trim());
            radius = new Radius(numerator.doubleValue() / denominator.doubleValue(),
                numerator.stripTrailingZeros().toPlainString() + "/"
                    + denominator.stripTrailingZeros().toPlainString());
          }
          if (!(radius.value() >= 0 && radius.value() <= 1)) {
            throw new TypeConversionException("'" + text + "' is not in [0, 1] (pixel space)");
          }
          return radius;
        } catch (NumberFormatException e) {
          throw new TypeConversionException("'" + text + "' is neither a decimal such as 0.03"
              + " nor a fraction such as 2/255");
        }
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    if ((n == null) == (indices == null)) {
      throw new IllegalArgumentException("give either --n or --indices");
    }
    if (n != null && n < 1) {
      throw new IllegalArgumentException("--n must be >= 1, got " + n);
    }
    if (timeout < 1) {
      throw new IllegalArgumentException("--timeout must be >= 1 second, got " + timeout);
    }
    String name = onnxName != null ? onnxName : defaultOnnxName(model.file);
    if (!name.endsWith(".onnx") || name.length() == ".onnx".length() || name.contains("/")
        || name.contains("\\") || name.contains(",")) {
      throw new IllegalArgumentException("--onnx-name must be a file name ending in .onnx,"
          + " without directories or commas, got '" + name + "'");
    }
    int[] candidates = indices == null ? null : EvaluationOptions.parseIndices(indices);
    Path onnxFile = out.resolve("onnx").resolve(name);
    Path instances = out.resolve("instances.csv");
    List<String> listed = existingInstances(instances);
    try (NDManager manager = NDManager.newBaseManager();
        Network network = model.load(data, manager)) {
      byte[] onnx = ModelFile.isCheckpoint(model.file) ? OnnxExporter.toBytes(network)
          : Files.readAllBytes(model.file);
      if (Files.exists(onnxFile) && !Arrays.equals(Files.readAllBytes(onnxFile), onnx)) {
        throw new IllegalArgumentException(onnxFile + " exists and holds another model than "
            + model.file + "; instances may refer to it, so it is left alone: choose another"
            + " --onnx-name or --out");
      }
      ImageDataset test = data.load(Split.TEST);
      Selection chosen = select(network, test,
          candidates != null ? candidates : IntStream.range(0, test.size()).toArray(), manager);
      List<Instance> planned = plan(chosen.kept(), name, listed, instances);
      Files.createDirectories(onnxFile.getParent());
      Files.createDirectories(out.resolve("vnnlib"));
      if (!Files.exists(onnxFile)) {
        AtomicFiles.writeNew(onnxFile, onnx);
      }
      try (me.tongfei.progressbar.ProgressBar bar = progress.bar("properties",
          planned.size())) {
        for (Instance instance : planned) {
          Bounds box = box(test, instance.index(), manager);
          VnnlibWriter.writeRobustness(instance.vnnlib(), box.lower(), box.upper(),
              network.numClasses(), test.label(instance.index()));
          bar.step();
        }
      }
      append(instances, planned.stream().map(i -> i.pair() + "," + timeout).toList());
      report(chosen, onnxFile, instances, listed.size() + planned.size());
    }
    return 0;
  }

  /**
   * The images kept and those skipped as misclassified, in the order they were considered.
   *
   * @param kept test-set indices of the images that get a property
   * @param skipped test-set indices of the misclassified images passed over
   */
  private record Selection(int[] kept, int[] skipped) {}

  /**
   * The first {@code n} of {@code candidates} (all with {@code --indices}), without the images
   * the network misclassifies unless {@code --all}, classified in float32 batches.
   */
  private Selection select(Network network, ImageDataset test, int[] candidates,
      NDManager manager) {
    int wanted = n != null ? n : candidates.length;
    List<Integer> kept = new ArrayList<>();
    List<Integer> skipped = new ArrayList<>();
    for (int from = 0; from < candidates.length && kept.size() < wanted; from += BATCH) {
      int[] batch = Arrays.copyOfRange(candidates, from, Math.min(candidates.length,
          from + BATCH));
      long[] predicted;
      try (NDManager scope = manager.newSubManager()) {
        NDArray x = test.images(scope, batch);
        predicted = ConcreteDomain.forward(network, x, BatchStatistics.evaluation()).argMax(1)
            .toType(DataType.INT64, false).toLongArray();
      }
      for (int i = 0; i < batch.length && kept.size() < wanted; i++) {
        if (all || predicted[i] == test.label(batch[i])) {
          kept.add(batch[i]);
        } else {
          skipped.add(batch[i]);
        }
      }
    }
    return new Selection(kept.stream().mapToInt(Integer::intValue).toArray(),
        skipped.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * One instance to write.
   *
   * @param index the test image
   * @param vnnlib its property file
   * @param pair its {@code onnx_path,vnnlib_path} in instances.csv, relative to the benchmark
   */
  private record Instance(int index, Path vnnlib, String pair) {}

  /**
   * The instances of the test images {@code kept} for the model {@code onnxName}, checked before
   * anything is written: no image twice, no property file there already, none listed in
   * {@code instances} already ({@code listed}).
   */
  private List<Instance> plan(int[] kept, String onnxName, List<String> listed, Path instances)
      throws IOException {
    String stem = onnxName.substring(0, onnxName.length() - ".onnx".length());
    List<Instance> planned = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int index : kept) {
      if (!seen.add(index)) {
        throw new IllegalArgumentException("--indices lists test image " + index + " twice");
      }
      Path file = out.resolve("vnnlib").resolve(stem + "_idx" + index + "_eps" + eps.fileLabel()
          + ".vnnlib");
      if (Files.exists(file)) {
        throw new FileAlreadyExistsException(file.toString(), null, "a property of this image"
            + " and eps exists already; certkit never overwrites one: remove it or choose"
            + " another --out");
      }
      String pair = "onnx/" + onnxName + ",vnnlib/" + file.getFileName();
      if (listed.contains(pair)) {
        throw new IllegalArgumentException(instances + " already lists " + pair + " (its"
            + " property file is missing): remove that line or choose another --out");
      }
      planned.add(new Instance(index, file, pair));
    }
    return planned;
  }

  /** A box of inputs, flat in row-major order. */
  private record Bounds(double[] lower, double[] upper) {}

  /** The float32 box of radius {@code eps} around test image {@code index}, clipped to [0, 1]. */
  private Bounds box(ImageDataset test, int index, NDManager manager) {
    float[] x;
    try (NDManager scope = manager.newSubManager()) {
      x = test.images(scope, new int[] {index}).toFloatArray();
    }
    double[] lower = new double[x.length];
    double[] upper = new double[x.length];
    for (int k = 0; k < x.length; k++) {
      lower[k] = Math.max(0f, (float) (x[k] - eps.value()));
      upper[k] = Math.min(1f, (float) (x[k] + eps.value()));
    }
    return new Bounds(lower, upper);
  }

  /**
   * The {@code onnx,vnnlib} pairs that {@code file} lists, or none when it does not exist.
   *
   * @throws IllegalArgumentException naming the file and line when a line is not
   *     {@code onnx,vnnlib,timeout}
   */
  private static List<String> existingInstances(Path file) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> pairs = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split(",", -1);
      if (fields.length != 3 || fields[0].isBlank() || fields[1].isBlank()) {
        throw new IllegalArgumentException(file + ", line " + (i + 1) + ": expected"
            + " onnx_path,vnnlib_path,timeout_seconds, found '" + line + "'; the file is left"
            + " alone: choose another --out");
      }
      pairs.add(fields[0].strip() + "," + fields[1].strip());
    }
    return pairs;
  }

  /** Appends {@code lines} to {@code file}, creating it, starting on a new line. */
  private static void append(Path file, List<String> lines) throws IOException {
    StringBuilder text = new StringBuilder();
    if (Files.exists(file) && Files.size(file) > 0) {
      byte[] existing = Files.readAllBytes(file);
      if (existing[existing.length - 1] != '\n') {
        text.append('\n');
      }
    }
    lines.forEach(line -> text.append(line).append('\n'));
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  private void report(Selection chosen, Path onnxFile, Path instances, int total) {
    PrintWriter printer = spec.commandLine().getOut();
    printer.printf("wrote %d properties at eps %s (%s) for %s under %s%n", chosen.kept().length,
        eps.text(), eps.value(), onnxFile, out.resolve("vnnlib"));
    if (!all) {
      printer.printf("skipped %d misclassified test images%s%n", chosen.skipped().length,
          chosen.skipped().length == 0 ? "" : ": " + Arrays.toString(chosen.skipped()));
    }
    if (n != null && chosen.kept().length < n) {
      printer.printf("note: only %d test images are classified correctly, not the %d asked"
          + " for%n", chosen.kept().length, n);
    }
    printer.printf("%s lists %d instances%n", instances, total);
  }

  /** {@code model.onnx} for {@code runs/x/model.ckpt}. */
  private static String defaultOnnxName(Path file) {
    String base = file.getFileName().toString();
    int dot = base.lastIndexOf('.');
    return (dot > 0 ? base.substring(0, dot) : base) + ".onnx";
  }
}
