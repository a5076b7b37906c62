package org.certkit.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.certkit.eval.Histogram;
import org.certkit.train.EpochMetrics;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
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

  /**
   * A certification's lowest margin bounds as bars, with a line at 0: right of it the
   * certificates, left of it the examples no method could decide.
   */
  static void marginHistogram(Histogram h, String title, Path png) throws IOException {
    XYIntervalSeries bins = new XYIntervalSeries("examples");
    for (int i = 0; i < h.counts().length; i++) {
      double lo = h.edges()[i];
      double hi = h.edges()[i + 1];
      bins.add((lo + hi) / 2, lo, hi, h.counts()[i], 0, h.counts()[i]);
    }
    XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
    data.addSeries(bins);
    JFreeChart chart = ChartFactory.createXYBarChart("Lowest margin bound: " + title,
        "lowest margin lower bound", false, "examples", data, PlotOrientation.VERTICAL, false,
        false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYBarRenderer renderer = (XYBarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardXYBarPainter());
    renderer.setShadowVisible(false);
    renderer.setSeriesPaint(0, new Color(0x1f77b4));
    ValueMarker zero = new ValueMarker(0, new Color(0xd62728), new BasicStroke(2f));
    zero.setLabel("certified to the right");
    zero.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    zero.setLabelTextAnchor(TextAnchor.TOP_LEFT);
    plot.addDomainMarker(zero);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 400);
  }

  /**
   * The field's cactus plot of verification runs: for each run (name to the sorted times of its
   * solved instances), the n-th point is the time the n-th fastest instance took.
   */
  static void cactus(Map<String, List<Double>> solvedTimes, Path png) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<Double>> run : solvedTimes.entrySet()) {
      XYSeries series = new XYSeries(run.getKey());
      List<Double> times = run.getValue();
      for (int i = 0; i < times.size(); i++) {
        series.add(i + 1, times.get(i));
      }
      data.addSeries(series);
    }
    JFreeChart chart = ChartFactory.createXYLineChart("Solved instances", "instances solved",
        "time per instance (s)", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 450);
  }

  private static void addIfKnown(XYSeries series, int x, double fraction) {
    if (!Double.isNaN(fraction)) {
      series.add(x, 100 * fraction);
    }
  }
}
