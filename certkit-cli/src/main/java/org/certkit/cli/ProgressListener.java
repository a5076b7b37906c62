package org.certkit.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.train.EpochEnd;
import org.certkit.train.EpochMetrics;
import org.certkit.train.TrainingListener;

/** Shows a progress bar per epoch (loss, running accuracy, epsilon) and a line per finished epoch. */
final class ProgressListener implements TrainingListener {

  private final int epochs;
  private final PrintStream out;
  private ProgressBar bar;

  private final boolean quiet;

  /** Epoch lines go to {@code out}; the bars to standard error unless {@code quiet}. */
  ProgressListener(int epochs, PrintStream out, boolean quiet) {
    this.epochs = epochs;
    this.out = out;
    this.quiet = quiet;
  }

  @Override
  public void epochStarted(int epoch, int batches) {
    bar = ProgressOptions.bar(String.format("epoch %d/%d", epoch + 1, epochs), batches, quiet);
  }

  @Override
  public void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {
    bar.stepTo(batch + 1);
    bar.setExtraMessage(String.format(" loss %.4f acc %.2f%% eps %.4f", loss, 100 * accuracy,
        eps));
  }

  @Override
  public void stepSkipped(int epoch, int batch, String reason, int inARow) {
    System.err.printf("%nwarning: epoch %d batch %d skipped without an update: %s (%d in a row)%n",
        epoch + 1, batch, reason, inARow);
  }

  @Override
  public void epochFinished(EpochEnd end) {
    EpochMetrics m = end.metrics();
    bar.close();
    out.printf("epoch %3d  eps %.4f  lr %.2e  loss %.4f  train acc %6.2f%%  train robust %s"
            + "  test acc %s  test certified %s  tightness %s  |grad| %.2f%s  %.1fs%n",
        m.epoch() + 1, m.eps(), m.learningRate(), m.loss(), 100 * m.trainAccuracy(),
        percent(m.trainRobustAccuracy()), percent(m.testAccuracy()),
        percent(m.testCertifiedAccuracy()),
        Double.isNaN(m.testTightness()) ? "-" : String.format("%.3g", m.testTightness()),
        m.gradientNorm(), m.skippedSteps() == 0 ? "" : "  skipped " + m.skippedSteps(),
        m.seconds());
  }

  static String percent(double value) {
    return Double.isNaN(value) ? "   -  " : String.format("%6.2f%%", 100 * value);
  }
}
