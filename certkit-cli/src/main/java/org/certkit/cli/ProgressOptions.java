package org.certkit.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Option;

/**
 * The {@code --quiet} switch of the long-running commands, and the one way they draw progress:
 * a bar on standard error with the rate and the time left (redrawn twice a second on a terminal,
 * every 30 seconds otherwise), so standard output keeps only the results.
 */
final class ProgressOptions {

  @Option(names = "--quiet", description = "No progress bar or status line on standard error.")
  boolean quiet;

  /** A bar for {@code max} units of work named {@code task}; silent with {@code --quiet}. */
  ProgressBar bar(String task, long max) {
    return bar(task, max, quiet);
  }

  /** A bar as {@link #bar(String, long)}, silent when {@code silent}. */
  static ProgressBar bar(String task, long max, boolean silent) {
    ProgressBarConsumer consumer = silent ? new Silent() : new ConsoleProgressBarConsumer(
        System.err);
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII).setConsumer(consumer).showSpeed()
        .setUpdateIntervalMillis(System.console() != null ? 500 : 30_000).build();
  }

  /** Draws nothing. */
  private static final class Silent implements ProgressBarConsumer {
    @Override
    public int getMaxRenderedLength() {
      return 80;
    }

    @Override
    public void accept(String rendered) {}

    @Override
    public void close() {}
  }
}
