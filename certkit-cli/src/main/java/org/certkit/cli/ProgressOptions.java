package org.certkit.cli;

import java.io.PrintStream;
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

  /**
   * Prints {@code text} to {@code out} while a bar may be drawn: on a terminal, the bar's line on
   * standard error is cleared first, so the text starts at the left margin instead of after the
   * bar, which is redrawn below it at its next update. Off a terminal, and when {@code silent},
   * only the text is printed.
   */
  static void print(PrintStream out, String text, boolean silent) {
    if (!silent && System.console() != null) {
      System.err.print("\r\033[K");
      System.err.flush();
    }
    out.print(text);
    out.flush();
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
