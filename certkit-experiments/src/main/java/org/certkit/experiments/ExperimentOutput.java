package org.certkit.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The files of one experiment run, all in the context's output directory: {@code result.csv}
 * ({@link CsvWriter}), {@code plot.png} ({@link ChartWriter}), {@code summary.json} and
 * {@code summary.md} ({@link SummaryWriter}).
 *
 * @param directory the output directory ({@code OUT/ID})
 */
public record ExperimentOutput(Path directory) {

  /** The CSV table. */
  public Path csv() {
    return directory.resolve("result.csv");
  }

  /** The figure. */
  public Path plot() {
    return directory.resolve("plot.png");
  }

  /** The machine-readable summary. */
  public Path summaryJson() {
    return directory.resolve("summary.json");
  }

  /** The Markdown fragment. */
  public Path summaryMarkdown() {
    return directory.resolve("summary.md");
  }

  /**
   * Writes the four files of a computed result into {@code context.outputDirectory()}.
   *
   * @param scale the scale it ran at, recorded in {@code summary.json} with the command that
   *     reproduces it
   * @param elapsed how long the computation took, recorded in {@code summary.json}
   */
  public static ExperimentOutput write(Experiment experiment, ExperimentContext context,
      ExperimentResult result, Scale scale, Duration elapsed) throws IOException {
    ExperimentOutput output = new ExperimentOutput(
        Files.createDirectories(context.outputDirectory()));
    CsvWriter.write(result.table(), output.csv());
    ChartWriter.write(result.figure(), output.plot());
    SummaryWriter.writeJson(experiment, context, result, scale, elapsed,
        output.summaryJson());
    SummaryWriter.writeMarkdown(experiment, context, result, scale, output.plot()
        .getFileName().toString(), output.summaryMarkdown());
    return output;
  }
}
