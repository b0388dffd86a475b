package org.cityvision.models.evaluation;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.training.EpochRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the report's pictures with XChart: a confusion matrix and training curves, as PNG files.
 * Labels are written whole (the axes make room for them); epochs are whole-number ticks.
 *
 * <p>Stateless and thread-safe (each call builds its own charts). Needs a headless AWT with fonts.
 */
public final class Charts {
  private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);

  private Charts() {}

  /**
   * A confusion matrix, rows = truth, columns = prediction; each cell shows the share of its true
   * class (in %), shaded by that share; the row labels carry each class's count.
   */
  public static void confusionMatrix(Metrics m, String title, Path file) throws ModelRunException {
    int[][] c = m.confusion();
    int k = c.length;
    List<String> predicted = new ArrayList<>(m.labels());
    List<String> truth = new ArrayList<>();
    List<Number[]> cells = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int rowSum = IntStream.of(c[i]).sum();
      truth.add(m.labels().get(i) + " (n=" + rowSum + ")");
      for (int j = 0; j < k; j++) {
        int share = rowSum == 0 ? 0 : (int) Math.round(100.0 * c[i][j] / rowSum);
        // XChart draws the first y category at the bottom: flip so that row 0 is on top.
        cells.add(new Number[] {j, k - 1 - i, share});
      }
    }
    List<String> rows = new ArrayList<>(truth);
    Collections.reverse(rows);
    int longest = m.labels().stream().mapToInt(String::length).max().orElse(5);
    int side = Math.max(420, 70 * k);
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(side + 12 * longest + 220)
            .height(side + 9 * longest + 140)
            .title(title)
            .xAxisTitle("predicted class")
            .yAxisTitle("true class; cell: % of the true class")
            .build();
    style(chart.getStyler());
    chart.getStyler().setShowValue(true);
    chart.getStyler().setValueFont(TICKS);
    chart.getStyler().setMin(0);
    chart.getStyler().setMax(100);
    chart
        .getStyler()
        .setRangeColors(
            new Color[] {
              new Color(0xF7, 0xFB, 0xFF), new Color(0x6B, 0xAE, 0xD6), new Color(0x08, 0x30, 0x6B)
            });
    chart.getStyler().setXAxisLabelRotation(45);
    chart.getStyler().setLegendVisible(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.addSeries("% of true class", predicted, rows, cells);
    save(BitmapEncoder.getBufferedImage(chart), file);
  }

  /**
   * Loss (left) and validation accuracy / macro-F1 (right) over the epochs of every phase; epochs
   * are numbered through the run, and each phase is its own series so the switch shows.
   */
  public static void trainingCurves(List<EpochRecord> history, String title, Path file)
      throws ModelRunException {
    XYChart loss = xy(title + ": loss", "negative log-likelihood", history.size());
    XYChart quality = xy(title + ": validation", "accuracy / macro-F1", history.size());
    quality.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    List<String> phases = history.stream().map(EpochRecord::phase).distinct().toList();
    for (String phase : phases) {
      List<Integer> x = new ArrayList<>();
      List<Double> train = new ArrayList<>();
      List<Double> val = new ArrayList<>();
      List<Double> acc = new ArrayList<>();
      List<Double> f1 = new ArrayList<>();
      for (int i = 0; i < history.size(); i++) {
        EpochRecord r = history.get(i);
        if (r.phase().equals(phase)) {
          x.add(i + 1);
          train.add(r.trainLoss());
          val.add(r.valLoss());
          acc.add(r.valAccuracy());
          f1.add(r.valMacroF1());
        }
      }
      line(loss.addSeries("train loss (" + phase + ")", x, train));
      line(loss.addSeries("validation loss (" + phase + ")", x, val));
      line(quality.addSeries("accuracy (" + phase + ")", x, acc));
      line(quality.addSeries("macro-F1 (" + phase + ")", x, f1));
    }
    if (history.isEmpty()) {
      line(loss.addSeries("no epochs", new double[] {1}, new double[] {0}));
      line(quality.addSeries("no epochs", new double[] {1}, new double[] {0}));
    }
    BufferedImage left = BitmapEncoder.getBufferedImage(loss);
    BufferedImage right = BitmapEncoder.getBufferedImage(quality);
    BufferedImage both =
        new BufferedImage(
            left.getWidth() + right.getWidth(),
            Math.max(left.getHeight(), right.getHeight()),
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = both.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, both.getWidth(), both.getHeight());
      g.drawImage(left, 0, 0, null);
      g.drawImage(right, left.getWidth(), 0, null);
    } finally {
      g.dispose();
    }
    save(both, file);
  }

  private static XYChart xy(String title, String yTitle, int epochs) {
    XYChart chart =
        new XYChartBuilder()
            .width(640)
            .height(500)
            .title(title)
            .xAxisTitle("epoch")
            .yAxisTitle(yTitle)
            .build();
    style(chart.getStyler());
    chart.getStyler().setXAxisDecimalPattern("#0");
    chart.getStyler().setXAxisMin(1.0);
    chart.getStyler().setXAxisMax((double) Math.max(2, epochs));
    chart.getStyler().setXAxisTickMarkSpacingHint(epochs > 30 ? 60 : 35);
    chart.getStyler().setYAxisDecimalPattern("0.00");
    // Below the plot: a legend inside it hides the points of short phases (a fine-tune of a few
    // epochs ends where the legend sits).
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    return chart;
  }

  private static void line(XYSeries series) {
    series.setMarker(SeriesMarkers.CIRCLE);
  }

  private static void style(AxesChartStyler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setChartTitleFont(TITLE);
    styler.setAxisTickLabelsFont(TICKS);
    styler.setAxisTitleFont(TICKS);
    styler.setLegendFont(TICKS);
    styler.setLocale(Locale.ROOT);
  }

  private static void save(BufferedImage image, Path file) throws ModelRunException {
    try {
      if (!ImageIO.write(image, "png", file.toFile())) {
        throw new ModelRunException("no PNG writer for " + file);
      }
    } catch (IOException e) {
      throw new ModelRunException("could not write " + file + ": " + e.getMessage(), e);
    }
  }
}
