package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.data.DatasetStore;
import org.certkit.experiments.Experiment;
import org.certkit.experiments.ExperimentContext;
import org.certkit.experiments.ExperimentOutput;
import org.certkit.experiments.ExperimentRegistry;
import org.certkit.experiments.ExperimentResult;
import org.certkit.experiments.Scale;
import org.certkit.experiments.TrainedTightnessExperiment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code certkit experiment}: list and run the paper reproductions of certkit-experiments. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = "Paper reproductions: list them, or run one into OUT/ID/ (result.csv,"
        + " plot.png, summary.json, summary.md).",
    subcommands = {ExperimentCommand.ListCommand.class, ExperimentCommand.RunCommand.class})
final class ExperimentCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand: list or run");
  }

  /** {@code certkit experiment list}: one id per line on stdout, nothing else. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Print the experiment ids, one per line.")
  static final class ListCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      for (String id : ExperimentRegistry.ids()) {
        spec.commandLine().getOut().println(id);
      }
    }
  }

  /** {@code certkit experiment run ID}: runs one experiment and writes its four files. */
  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Run one experiment and write OUT/ID/{result.csv, plot.png, summary.json,"
          + " summary.md}; progress goes to stderr, the headline numbers to stdout.")
  static final class RunCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID",
        description = "Experiment id (see 'certkit experiment list').")
    String id;

    @Option(names = "--scale", defaultValue = "small",
        description = "small (minutes) or full (the paper's sample sizes where feasible;"
            + " longer) (default: ${DEFAULT-VALUE}).")
    String scale;

    @Option(names = "--out", defaultValue = "runs/experiments",
        description = "Output root; files go to OUT/ID/ (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1",
        description = "Root seed of every random stream (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data-dir",
        description = "Dataset root, for experiments with data (default: $CERTKIT_DATA or"
            + " ~/.certkit/data).")
    Path dataDir;

    @Option(names = "--methods", split = ",", paramLabel = "METHOD",
        description = "s1-trained-tightness only: run just these of its methods (standard, pgd,"
            + " ibp, sabr, mtl-ibp, taps, staps, crown-ibp, colt), a long sweep in parts;"
            + " trained models and measurements stay under OUT/ID/runs and a rerun reuses them.")
    List<String> methods;

    @Option(names = "--eps", split = ",", paramLabel = "EPS",
        description = "s1-trained-tightness only: train and measure at just these epsilons"
            + " (default: the scale's, 0.1 and 0.3), one cell of a long sweep at a time.")
    double[] epsilons;

    @Mixin ProgressOptions progress;

    @Override
    public Integer call() throws Exception {
      Experiment experiment = ExperimentRegistry.require(id);
      boolean parts = methods != null || epsilons != null;
      if (parts && !(experiment instanceof TrainedTightnessExperiment)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--methods and --eps apply to s1-trained-tightness only, not " + id);
      }
      Scale parsed = Scale.parse(scale);
      Path data = dataDir != null ? dataDir : DatasetStore.defaultRoot();
      PrintWriter stdout = spec.commandLine().getOut();
      boolean quiet = progress.quiet;
      try (NDManager manager = NDManager.newBaseManager()) {
        ExperimentContext context;
        ExperimentResult result;
        Duration elapsed;
        try (WorkBar bar = new WorkBar(quiet)) {
          context = new ExperimentContext(out.resolve(experiment.id()), data, seed,
              quiet ? line -> { } : line -> ProgressOptions.print(System.err,
                  line + System.lineSeparator(), false), manager, bar);
          long start = System.nanoTime();
          result = !parts ? experiment.run(parsed, context)
              : ((TrainedTightnessExperiment) experiment).run(((TrainedTightnessExperiment)
                  experiment).parameters(parsed, methods, epsilons), context);
          elapsed = Duration.ofNanos(System.nanoTime() - start);
        }
        ExperimentOutput output = ExperimentOutput.write(experiment, context, result, parsed,
            elapsed);
        stdout.printf(Locale.ROOT, "%s (%s scale, %.1f s): %s%n", experiment.id(),
            parsed.name().toLowerCase(Locale.ROOT), elapsed.toMillis() / 1000.0,
            output.directory());
        for (Map.Entry<String, Object> e : result.headline().entrySet()) {
          stdout.printf(Locale.ROOT, "  %s = %s%n", e.getKey(), e.getValue());
        }
      }
      return 0;
    }
  }

  /**
   * A progress bar over an experiment's units of work, one bar per phase: a bar opens at the
   * first count of a unit and closes when its count reaches the total, or when a count of another
   * unit or total arrives (the next phase), or when the run ends.
   */
  static final class WorkBar implements ExperimentContext.Work, AutoCloseable {
    private final BiFunction<String, Integer, ProgressBar> open;
    private ProgressBar bar;
    private String unit;

    /** Bars from {@link ProgressOptions#bar(String, long, boolean)}, silent when {@code quiet}. */
    WorkBar(boolean quiet) {
      this((unit, total) -> ProgressOptions.bar(unit, total, quiet));
    }

    /** Bars from {@code open}, given the unit and the total. */
    WorkBar(BiFunction<String, Integer, ProgressBar> open) {
      this.open = open;
    }

    @Override
    public synchronized void finished(String unit, int done, int total) {
      if (bar != null && (!unit.equals(this.unit) || total != bar.getMax())) {
        close();
      }
      if (bar == null) {
        bar = open.apply(unit, total);
        this.unit = unit;
      }
      bar.stepTo(done);
      if (done >= total) {
        close();
      }
    }

    /** Closes the open bar, if any. */
    @Override
    public synchronized void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
