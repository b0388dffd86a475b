package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the learning-curve experiment's results as a PNG (XChart): accuracy on the new site's
 * held-out images and on the original test split against the number of verdicts, head candidates as
 * lines, fine-tune candidates as squares, the head trained on all of the site's pool as a dashed
 * reference.
 */
final class LearningCurveChart {
  private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
  private static final Color SITE = new Color(20, 100, 180);
  private static final Color ORIGINAL = new Color(40, 140, 40);

  private LearningCurveChart() {}

  /**
   * Draws {@code curve} (and the fine-tune points of {@code fineTune}, when that file exists) into
   * {@code png}.
   */
  static void draw(Path curve, Path fineTune, Path png) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode results = (ObjectNode) json.readTree(curve.toFile());
    if (Files.isRegularFile(fineTune)) {
      ((ArrayNode) results.get("rows"))
          .addAll((ArrayNode) json.readTree(fineTune.toFile()).get("rows"));
    }
    draw(results, png);
  }

  static void draw(JsonNode results, Path file) throws IOException {
    List<Double> headX = new ArrayList<>();
    List<Double> headSite = new ArrayList<>();
    List<Double> headOriginal = new ArrayList<>();
    List<Double> tunedX = new ArrayList<>();
    List<Double> tunedSite = new ArrayList<>();
    List<Double> tunedOriginal = new ArrayList<>();
    double allSite = Double.NaN;
    int allVerdicts = 0;
    double maxX = 0;
    for (JsonNode r : results.get("rows")) {
      String mode = r.get("mode").asText();
      double n = r.get("verdicts").asDouble();
      double site = r.get("siteAccuracy").asDouble();
      double original = r.get("originalTestAccuracy").asDouble();
      maxX = Math.max(maxX, n);
      if (mode.startsWith("head,")) {
        allSite = site;
        allVerdicts = (int) n;
      } else if (mode.equals("fine-tune")) {
        tunedX.add(n);
        tunedSite.add(site);
        tunedOriginal.add(original);
      } else {
        headX.add(n);
        headSite.add(site);
        headOriginal.add(original);
      }
    }
    XYChart chart =
        new XYChartBuilder()
            .width(820)
            .height(560)
            .title(
                "Learning loop: "
                    + results.path("live").asText("live model")
                    + " on never-seen sources "
                    + results.path("site").asText("").replaceAll("^[^\\[]*\\[|\\].*$", ""))
            .xAxisTitle("reviewer verdicts")
            .yAxisTitle("accuracy")
            .build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setChartTitleFont(TITLE);
    chart.getStyler().setAxisTickLabelsFont(TICKS);
    chart.getStyler().setAxisTitleFont(TICKS);
    chart.getStyler().setLegendFont(TICKS);
    chart.getStyler().setLocale(Locale.ROOT);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setXAxisDecimalPattern("#0");
    chart.getStyler().setYAxisDecimalPattern("0.00");
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(maxX * 1.05);
    chart.getStyler().setYAxisMin(0.5);
    chart.getStyler().setYAxisMax(1.0);

    XYSeries s = chart.addSeries("new site, held-out images (head)", headX, headSite);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(SITE);
    s.setMarkerColor(SITE);
    s = chart.addSeries("original test split (head)", headX, headOriginal);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(ORIGINAL);
    s.setMarkerColor(ORIGINAL);
    if (!tunedX.isEmpty()) {
      s = chart.addSeries("new site (fine-tune)", tunedX, tunedSite);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.SQUARE);
      s.setMarkerColor(SITE.darker());
      s = chart.addSeries("original test split (fine-tune)", tunedX, tunedOriginal);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.SQUARE);
      s.setMarkerColor(ORIGINAL.darker());
    }
    if (!Double.isNaN(allSite)) {
      s =
          chart.addSeries(
              "head on all " + allVerdicts + " pool images (reference)",
              new double[] {0, maxX * 1.05},
              new double[] {allSite, allSite});
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(Color.GRAY);
      s.setLineStyle(
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    if (!file.getFileName().toString().endsWith(".png")) {
      // XChart appends the extension when the name lacks it.
      Files.move(Path.of(file + ".png"), file);
    }
  }
}
