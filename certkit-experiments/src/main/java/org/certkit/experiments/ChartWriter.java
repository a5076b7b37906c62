package org.certkit.experiments;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws a {@link Figure} with JFreeChart into one PNG: each panel is an XY line chart with
 * linear or logarithmic axes, panels side by side in rows of the figure's columns. Estimates get markers only (drawn on top),
 * closed forms solid lines, bounds and limits dashed lines, scatter clouds small dots, bars
 * grouped side by side behind everything else; point labels are drawn above and right of their
 * points.
 */
public final class ChartWriter {

  /** Width of one panel in pixels. */
  public static final int PANEL_WIDTH = 720;

  /** Height of one panel (of the image, for one row) in pixels. */
  public static final int HEIGHT = 540;

  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
  };

  private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

  private ChartWriter() {}

  /** Writes {@code figure} as a PNG to {@code file}, creating parent directories. */
  public static void write(Figure figure, Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    int panels = figure.panels().size();
    BufferedImage image = new BufferedImage(PANEL_WIDTH * figure.width(),
        HEIGHT * figure.rows(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      for (int p = 0; p < panels; p++) {
        chart(figure.panels().get(p)).draw(g, new Rectangle2D.Double(
            (p % figure.columns()) * PANEL_WIDTH, (p / figure.columns()) * HEIGHT, PANEL_WIDTH,
            HEIGHT));
      }
    } finally {
      g.dispose();
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      ChartUtils.writeBufferedImageAsPNG(out, image);
    }
  }

  /** The JFreeChart of one panel. */
  static JFreeChart chart(Panel panel) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    List<Series> lines = panel.series().stream().filter(x -> x.style() != SeriesStyle.BARS)
        .toList();
    List<Series> bars = panel.series().stream().filter(x -> x.style() == SeriesStyle.BARS)
        .toList();
    for (int s = 0; s < lines.size(); s++) {
      Series series = lines.get(s);
      XYSeries xy = new XYSeries(series.name(), false, true);
      for (int i = 0; i < series.x().length; i++) {
        xy.add(series.x()[i], series.y()[i]);
      }
      data.addSeries(xy);
      int colour = panel.series().indexOf(series);
      renderer.setSeriesPaint(s, PALETTE[colour % PALETTE.length]);
      switch (series.style()) {
        case ESTIMATE -> {
          renderer.setSeriesLinesVisible(s, false);
          renderer.setSeriesShapesVisible(s, true);
          renderer.setSeriesShape(s, new Ellipse2D.Double(-4.5, -4.5, 9, 9));
        }
        case CLOSED_FORM -> {
          renderer.setSeriesLinesVisible(s, true);
          renderer.setSeriesShapesVisible(s, false);
          renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        case SCATTER -> {
          renderer.setSeriesLinesVisible(s, false);
          renderer.setSeriesShapesVisible(s, true);
          renderer.setSeriesShape(s, new Rectangle2D.Double(-1, -1, 2, 2));
          renderer.setLegendShape(s, new Ellipse2D.Double(-4, -4, 8, 8));
        }
        case BOUND -> {
          renderer.setSeriesLinesVisible(s, true);
          renderer.setSeriesShapesVisible(s, false);
          renderer.setSeriesStroke(s, new BasicStroke(2f, BasicStroke.CAP_BUTT,
              BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        }
        case BARS -> throw new IllegalStateException("bars are drawn by their own renderer");
      }
    }
    boolean integerX = panel.series().stream().flatMapToDouble(s -> Arrays.stream(s.x()))
        .allMatch(x -> x == Math.rint(x));
    XYPlot plot = new XYPlot(data, axis(panel.xLabel(), panel.logX(), integerX, false),
        axis(panel.yLabel(), panel.logY(), false, true), renderer);
    for (PointLabel label : panel.labels()) {
      XYTextAnnotation text = new XYTextAnnotation(" " + label.text(), label.x(), label.y());
      text.setTextAnchor(TextAnchor.BOTTOM_LEFT);
      text.setFont(LABEL_FONT);
      plot.addAnnotation(text);
    }
    if (!bars.isEmpty()) {
      // Dataset 1 is drawn first (the default reverse order), so lines and markers stay on top.
      plot.setDataset(1, barData(panel, bars));
      XYBarRenderer barRenderer = new XYBarRenderer();
      barRenderer.setUseYInterval(true);
      barRenderer.setShadowVisible(false);
      barRenderer.setBarPainter(new StandardXYBarPainter());
      barRenderer.setDrawBarOutline(false);
      for (int s = 0; s < bars.size(); s++) {
        Color c = PALETTE[panel.series().indexOf(bars.get(s)) % PALETTE.length];
        barRenderer.setSeriesPaint(s, new Color(c.getRed(), c.getGreen(), c.getBlue(), 200));
      }
      plot.setRenderer(1, barRenderer);
    }
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(panel.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  /**
   * The bars of a panel as intervals: the bar series share each x, side by side, together
   * {@code 80%} of the smallest gap between distinct x values wide; they start at 0, or on a
   * logarithmic ordinate at half the smallest bar.
   */
  private static XYIntervalSeriesCollection barData(Panel panel, List<Series> bars) {
    double[] xs = bars.stream().flatMapToDouble(b -> Arrays.stream(b.x())).distinct().sorted()
        .toArray();
    double gap = 1;
    for (int i = 1; i < xs.length; i++) {
      gap = i == 1 ? xs[1] - xs[0] : Math.min(gap, xs[i] - xs[i - 1]);
    }
    double width = 0.8 * gap / bars.size();
    double base = panel.logY() ? bars.stream().flatMapToDouble(b -> Arrays.stream(b.y()))
        .min().orElse(1) / 2 : 0;
    XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
    for (int s = 0; s < bars.size(); s++) {
      Series series = bars.get(s);
      XYIntervalSeries interval = new XYIntervalSeries(series.name(), false, true);
      double shift = (s - (bars.size() - 1) / 2.0) * width;
      for (int i = 0; i < series.x().length; i++) {
        double centre = series.x()[i] + shift;
        double y = series.y()[i];
        interval.add(centre, centre - width / 2, centre + width / 2, y, Math.min(base, y), y);
      }
      data.addSeries(interval);
    }
    return data;
  }

  /**
   * A linear axis (integer ticks when every value is an integer) or a logarithmic one, whose
   * range may be widened to whole decades so that a narrow range still gets labelled ticks.
   */
  private static ValueAxis axis(String label, boolean log, boolean integer,
      boolean wholeDecades) {
    NumberAxis axis = log ? new LogarithmicAxis(label) : new NumberAxis(label);
    if (axis instanceof LogarithmicAxis logarithmic) {
      logarithmic.setStrictValuesFlag(false);
      logarithmic.setAutoRangeNextLogFlag(wholeDecades);
    } else {
      axis.setAutoRangeIncludesZero(false);
      if (integer) {
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
      }
    }
    return axis;
  }
}
