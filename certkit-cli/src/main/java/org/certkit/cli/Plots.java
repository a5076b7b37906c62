package org.certkit.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.certkit.train.EpochMetrics;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of certkit results. */
final class Plots {

  private Plots() {}

  /** Accuracy curves per epoch: train, test and certified accuracy, and epsilon. */
  static void trainingCurves(List<EpochMetrics> history, Path png) throws IOException {
    XYSeries train = new XYSeries("train accuracy");
    XYSeries robust = new XYSeries("train robust (method's bound)");
    XYSeries test = new XYSeries("test accuracy");
    XYSeries certified = new XYSeries("test IBP-certified");
    XYSeries tightness = new XYSeries("tightness x 100");
    for (EpochMetrics m : history) {
      int epoch = m.epoch() + 1;
      train.add(epoch, 100 * m.trainAccuracy());
      addIfKnown(robust, epoch, m.trainRobustAccuracy());
      addIfKnown(test, epoch, m.testAccuracy());
      addIfKnown(certified, epoch, m.testCertifiedAccuracy());
      addIfKnown(tightness, epoch, m.testTightness());
    }
    XYSeriesCollection data = new XYSeriesCollection();
    for (XYSeries s : List.of(train, robust, test, certified, tightness)) {
      if (s.getItemCount() > 0) {
        data.addSeries(s);
      }
    }
    JFreeChart chart = ChartFactory.createXYLineChart("Training", "epoch", "accuracy (%)", data,
        PlotOrientation.VERTICAL, true, false, false);
    chart.getXYPlot().setBackgroundPaint(java.awt.Color.WHITE);
    chart.getXYPlot().setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
    chart.getXYPlot().setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
    java.awt.Color[] colors = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e),
        new java.awt.Color(0x2ca02c), new java.awt.Color(0xd62728), new java.awt.Color(0x9467bd)};
    for (int i = 0; i < data.getSeriesCount(); i++) {
      chart.getXYPlot().getRenderer().setSeriesPaint(i, colors[i % colors.length]);
      chart.getXYPlot().getRenderer().setSeriesStroke(i, new java.awt.BasicStroke(2f));
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 500);
  }

  /** Histogram of tightness values on a log10 axis. */
  static void tightnessHistogram(double[] values, Path png) throws IOException {
    double[] logs = java.util.Arrays.stream(values).filter(v -> v > 0).map(Math::log10)
        .toArray();
    org.jfree.data.statistics.HistogramDataset data =
        new org.jfree.data.statistics.HistogramDataset();
    data.addSeries("examples", logs, 40);
    JFreeChart chart = ChartFactory.createHistogram("Local propagation tightness",
        "log10(tightness)", "examples", data, PlotOrientation.VERTICAL, false, false, false);
    chart.getXYPlot().setBackgroundPaint(java.awt.Color.WHITE);
    chart.getXYPlot().getRenderer().setSeriesPaint(0, new java.awt.Color(0x1f77b4));
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 500);
  }

  private static void addIfKnown(XYSeries series, int x, double fraction) {
    if (!Double.isNaN(fraction)) {
      series.add(x, 100 * fraction);
    }
  }
}
