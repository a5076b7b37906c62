package org.certkit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code certkit report}: one static HTML page of every experiment, training and certification. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = {"Writes OUT/index.html (images in OUT/assets/): every experiment under"
        + " --experiments (beside the paper's values), every training run (metrics.json),"
        + " certification (certify --json) and verification run (verify --instances) under"
        + " --runs, with plots, sortable tables and the commands that reproduce them.",
        "Static: open it in a browser, no server or network needed."})
final class ReportCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--runs", defaultValue = "runs",
      description = "Directory searched for training and certification files (default:"
          + " ${DEFAULT-VALUE}).")
  Path runs;

  @Option(names = "--experiments", defaultValue = "runs/experiments",
      description = "Root of experiment outputs, OUT/ID/summary.json (default:"
          + " ${DEFAULT-VALUE}).")
  Path experiments;

  @Option(names = "--out", defaultValue = "report",
      description = "Report directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    ReportWriter.Written written = ReportWriter.write(
        Files.isDirectory(experiments) ? experiments : null,
        Files.isDirectory(runs) ? runs : null, out);
    spec.commandLine().getOut().printf("report: %s (%d experiments, %d training runs,"
        + " %d certifications, %d verification runs)%n", written.page(), written.experiments(),
        written.trainings(), written.certifications(), written.verifications());
    return 0;
  }
}
