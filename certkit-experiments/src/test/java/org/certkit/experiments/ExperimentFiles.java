package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.certkit.data.ImageDataset;
import org.certkit.io.Json;

/** Runs an experiment's computation into a directory and checks the four files it writes. */
final class ExperimentFiles {

  private ExperimentFiles() {}

  /**
   * A context writing to {@code directory}, seed 7, collecting progress lines, its work counts
   * checked by a {@link WorkCounts}.
   */
  static ExperimentContext context(Path directory, NDManager manager, List<String> log) {
    return new ExperimentContext(directory, directory.resolve("data"), 7, log::add, manager,
        new WorkCounts());
  }

  /**
   * An experiment's work counts, checked as they arrive: a phase starts at 0, keeps its unit and
   * total, never falls and never passes its total, and the next phase starts only after the last
   * one reached its total (what the progress bar of {@code experiment run} expects).
   */
  static final class WorkCounts implements ExperimentContext.Work {
    private final List<String> counts = new ArrayList<>();
    private String unit;
    private int done;
    private int total;

    @Override
    public synchronized void finished(String unit, int done, int total) {
      counts.add(unit + " " + done + "/" + total);
      if (this.unit != null && this.done < this.total) {
        assertEquals(this.unit + " of " + this.total, unit + " of " + total,
            "a phase keeps its unit and total: " + counts);
        assertTrue(done >= this.done, "counts never fall: " + counts);
      } else {
        assertEquals(0, done, "a phase starts at 0: " + counts);
      }
      assertTrue(done <= total, "counts never pass the total: " + counts);
      this.unit = unit;
      this.done = done;
      this.total = total;
    }

    /** Every count so far, as {@code "unit done/total"}. */
    synchronized List<String> counts() {
      return List.copyOf(counts);
    }

    /** Checks that work was counted and that its last phase reached its total. */
    synchronized void assertComplete() {
      assertFalse(counts.isEmpty(), "no work counted");
      assertEquals(total, done, "the last phase ends at its total: " + counts);
    }
  }

  /**
   * Writes {@code result} and checks: all four files exist; the CSV header is
   * {@code columns} and every line has as many cells; the PNG decodes with one panel width per
   * column and one panel height per row; summary.json names the experiment and holds every
   * headline key; summary.md links the plot; the work counts of a context from
   * {@link #context} ended at their total.
   *
   * @return the parsed summary.json
   */
  static JsonNode writeAndCheck(Experiment experiment, ExperimentContext context,
      ExperimentResult result, List<String> columns) throws IOException {
    if (context.work() instanceof WorkCounts counts) {
      counts.assertComplete();
    }
    ExperimentOutput output = ExperimentOutput.write(experiment, context, result, Scale.SMALL,
        Duration.ofMillis(1));
    for (Path file : List.of(output.csv(), output.plot(), output.summaryJson(),
        output.summaryMarkdown())) {
      assertTrue(Files.size(file) > 0, file + " missing or empty");
    }
    List<String> lines = Files.readAllLines(output.csv());
    assertEquals(String.join(",", columns), lines.get(0));
    assertEquals(result.table().rows().size() + 1, lines.size());
    for (String line : lines) {
      assertEquals(columns.size(), cells(line), line);
    }
    BufferedImage image = ImageIO.read(output.plot().toFile());
    assertEquals(ChartWriter.PANEL_WIDTH * result.figure().width(), image.getWidth());
    assertEquals(ChartWriter.HEIGHT * result.figure().rows(), image.getHeight());
    JsonNode summary = Json.MAPPER.readTree(output.summaryJson().toFile());
    assertEquals(experiment.id(), summary.get("id").asText());
    List<String> keys = new ArrayList<>();
    summary.get("headline").fieldNames().forEachRemaining(keys::add);
    assertEquals(List.copyOf(result.headline().keySet()), keys);
    String markdown = Files.readString(output.summaryMarkdown());
    assertTrue(markdown.contains("](plot.png)") && markdown.contains(experiment.title()),
        markdown);
    return summary;
  }

  /**
   * Checks that {@code summary.json} puts the paper's value beside each of the headline
   * {@code keys} and that the measured value agrees with it (a boolean counting as 1 or 0).
   */
  static void assertAgreesWithPaper(JsonNode summary, List<String> keys) {
    for (String key : keys) {
      JsonNode paper = summary.path("paper").path(key);
      assertTrue(paper.has("value") && paper.has("source"), "no paper value for " + key);
      JsonNode measured = summary.get("headline").get(key);
      double value = measured.isBoolean() ? (measured.asBoolean() ? 1 : 0) : measured.asDouble();
      assertEquals(paper.get("value").asDouble(), value, paper.get("tolerance").asDouble(),
          key + " against " + paper.get("source").asText());
    }
  }

  /** The number of cells of a CSV line without quoted fields. */
  private static int cells(String line) {
    return line.split(",", -1).length;
  }

  /** Random 28x28 images with random labels of 10 classes. */
  static ImageDataset randomImages(int n, long seed) {
    return randomImages(n, 1, 28, seed);
  }

  /** Random {@code channels x side x side} images with random labels of 10 classes. */
  static ImageDataset randomImages(int n, int channels, int side, long seed) {
    Random random = new Random(seed);
    byte[] pixels = new byte[n * channels * side * side];
    random.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    return new ImageDataset("random-" + side + "x" + side, channels, side, side, 10, pixels,
        labels);
  }
}
