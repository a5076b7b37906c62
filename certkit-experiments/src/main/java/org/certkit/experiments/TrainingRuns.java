package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.certkit.data.DatasetName;
import org.certkit.data.ImageDataset;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.TrainingConfig;

/**
 * The trained networks of a sweep, one run directory per cell under {@code OUT/ID/runs/}, so a
 * stopped sweep resumes where it stopped. A directory is named by the cell's label and a digest
 * of everything that determines the network (architecture, dataset, training images, training
 * configuration with its seed), and holds {@code run.json} (that identity and the training
 * time), {@code model.ckpt} (written last, when training finished) and {@code measures.json}
 * (each measurement taken on the network, by key). While a cell trains, {@code partial.ckpt}
 * holds the network and optimiser after its last finished epoch. A rerun of the same cell loads
 * the network instead of training it and reuses every measurement already taken, or continues
 * an unfinished training from its last epoch; a changed parameter gives another digest and so
 * a fresh cell, never a stale one.
 */
final class TrainingRuns {

  private static final String MODEL = "model.ckpt";
  private static final String RUN = "run.json";
  private static final String MEASURES = "measures.json";
  private static final String PARTIAL = "partial.ckpt";

  private final ExperimentContext context;
  private final Path root;

  /** Runs under the context's output directory. */
  TrainingRuns(ExperimentContext context) {
    this.context = context;
    this.root = context.outputDirectory().resolve("runs");
  }

  /**
   * The cell's trained network: loaded from its run directory when that holds a finished run,
   * otherwise trained (with progress lines prefixed by {@code label}) and saved there.
   *
   * @param label a readable name of the cell, such as {@code ibp eps 0.1}; the directory's
   *     prefix, with characters other than letters, digits and {@code .+-} replaced
   * @return the run; the caller closes it (which closes the network)
   */
  Run train(String label, TrainingConfig config, Architectures.Spec architecture,
      DatasetName dataset, ImageDataset train, NDManager manager) {
    ObjectNode identity = Json.MAPPER.createObjectNode();
    identity.set("architecture", Json.MAPPER.valueToTree(architecture));
    identity.put("dataset", dataset.name());
    identity.put("trainImages", train.size());
    identity.set("config", Json.MAPPER.valueToTree(config));
    String digest = digest(identity);
    try {
      Path directory = finished(digest).orElse(root.resolve(
          label.replaceAll("[^A-Za-z0-9.+-]+", "_") + "-" + digest));
      Path model = directory.resolve(MODEL);
      if (Files.isRegularFile(model)) {
        JsonNode run = Json.MAPPER.readTree(directory.resolve(RUN).toFile());
        Network network = Checkpoint.load(model, manager).network();
        context.progress(label + ": trained before, loaded from " + directory);
        return new Run(directory, network, run.get("trainSeconds").asDouble(), true);
      }
      Path partial = directory.resolve(PARTIAL);
      DatasetTraining.Trained trained = DatasetTraining.trainResumably(config, architecture,
          dataset, train, manager, context, label, partial);
      Network network = trained.network();
      double seconds = trained.seconds();
      try {
        ObjectNode run = identity.deepCopy();
        run.put("trainSeconds", seconds);
        Json.write(directory.resolve(RUN), run);
        Checkpoint.save(model, network, Map.of(), identity);
        Files.delete(partial);
      } catch (IOException | RuntimeException e) {
        network.close();
        throw e;
      }
      return new Run(directory, network, seconds, false);
    } catch (IOException e) {
      throw new UncheckedIOException("run " + label + " in " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * A finished run directory of this identity, under any label: two cells of a sweep that
   * describe the same network (a depth and a width series crossing) share one training.
   */
  private Optional<Path> finished(String digest) throws IOException {
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> directories = Files.list(root)) {
      return directories.filter(d -> d.getFileName().toString().endsWith("-" + digest)
          && Files.isRegularFile(d.resolve(MODEL))).sorted().findFirst();
    }
  }

  /** The first 10 hex digits of the SHA-256 of {@code identity}'s JSON text. */
  private static String digest(JsonNode identity) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(identity.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash).substring(0, 10);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }

  /**
   * One cell's trained network and its measurements.
   *
   * @param directory the run directory
   * @param network the network, owned by this run
   * @param trainSeconds wall-clock training time, the sum of its epochs' times over the runs
   *     that trained it
   * @param resumed whether the network was loaded rather than trained now
   */
  record Run(Path directory, Network network, double trainSeconds, boolean resumed)
      implements AutoCloseable {

    /**
     * The measurement {@code key} of this network: read from {@code measures.json} when taken
     * before, otherwise computed and added to it (the file is read again after the computation,
     * which may store measurements of its own).
     *
     * @param type the measurement's type, a record Jackson reads and writes
     */
    <T> T measured(String key, Class<T> type, Supplier<T> compute) {
      Path file = directory.resolve(MEASURES);
      try {
        ObjectNode measures = read(file);
        if (measures.has(key)) {
          return Json.MAPPER.treeToValue(measures.get(key), type);
        }
        T value = compute.get();
        measures = read(file);
        measures.set(key, Json.MAPPER.valueToTree(value));
        Json.write(file, measures);
        return value;
      } catch (IOException e) {
        throw new UncheckedIOException("measures of " + directory + ": " + e.getMessage(), e);
      }
    }

    private static ObjectNode read(Path file) throws IOException {
      return Files.isRegularFile(file) ? (ObjectNode) Json.MAPPER.readTree(file.toFile())
          : Json.MAPPER.createObjectNode();
    }

    @Override
    public void close() {
      network.close();
    }
  }
}
