package org.cityvision.serving.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ConfigLoader;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's files in {@code deploy/} stay true to the product: the example configuration loads
 * and sets every key there is, and every metric the alert rules and the dashboard query is one a
 * running node exports.
 */
class DeployFilesTest {
  private static final Pattern METRIC = Pattern.compile("\\b(cityvision_[a-z0-9_]+)");
  private static final Pattern FAMILY = Pattern.compile("(?m)^# TYPE (\\S+) ");

  @TempDir Path data;

  private static Path deploy() {
    return Home.root().resolve("deploy");
  }

  @Test
  void exampleConfigurationLoadsAndSetsEveryKey() throws Exception {
    Path example = deploy().resolve("cityvision.example.json");
    ServerConfig config = ConfigLoader.load(example, Map.of(), Home.root());
    assertEquals(Path.of("/var/lib/cityvision"), config.data());

    JsonNode tree = new ObjectMapper().readTree(example.toFile());
    Set<String> missing = new TreeSet<>();
    ConfigLoader.environmentNames(Home.root()).values().stream()
        .distinct()
        .forEach(
            key -> {
              JsonNode node = tree;
              for (String part : key.split("\\.")) {
                node = node == null ? null : node.get(part);
              }
              if (node == null) {
                missing.add(key);
              }
            });
    assertTrue(missing.isEmpty(), "keys the example configuration does not show: " + missing);
  }

  @Test
  void alertsAndDashboardQueryOnlyMetricsThatANodeExports() throws Exception {
    Set<String> queried = new TreeSet<>();
    for (Path file :
        new Path[] {
          deploy().resolve("prometheus/cityvision-alerts.yml"),
          deploy().resolve("grafana/cityvision-dashboard.json")
        }) {
      Matcher m = METRIC.matcher(Files.readString(file));
      while (m.find()) {
        queried.add(m.group(1).replaceAll("_(bucket|sum|count)$", ""));
      }
    }
    assertTrue(
        queried.size() >= 8, "the alerts and dashboard query the node's metrics: " + queried);

    ServingNode node = ServingFixture.start(ServingFixture.withModels(data));
    try (TestClient http = new TestClient(node.port())) {
      String sorter = http.newKey("sorter", "deploy-check");
      assertEquals(
          200,
          http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, 3))
              .status());
      String metrics = http.get("/metrics", null).text();
      Set<String> exported = new TreeSet<>();
      Matcher m = FAMILY.matcher(metrics);
      while (m.find()) {
        exported.add(m.group(1));
      }
      Set<String> unknown = new TreeSet<>(queried);
      unknown.removeAll(exported);
      assertTrue(
          unknown.isEmpty(), "queried but not exported: " + unknown + "; exported: " + exported);
    } finally {
      ServingFixture.stop(node);
    }
  }
}
