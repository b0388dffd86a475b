package org.cityvision.serving.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a {@link ServerConfig}: defaults, then the JSON configuration file, then environment
 * overrides. Unknown keys in the file are errors, and so are {@code CITYVISION_<SECTION>_...}
 * variables that name no setting.
 *
 * <p>Every setting {@code section.name} has the environment form {@code CITYVISION_SECTION_NAME}
 * (camel case to upper snake case: {@code http.bodyLimitBytes} is {@code
 * CITYVISION_HTTP_BODY_LIMIT_BYTES}); lists are comma-separated. Short forms: {@code
 * CITYVISION_HOST}, {@code CITYVISION_PORT}, {@code CITYVISION_DATA}, and the storage engineer's
 * {@code CITYVISION_S3_ENDPOINT}, {@code _REGION}, {@code _BUCKET}, {@code _SECURE}.
 */
public final class ConfigLoader {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
          .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS);

  private static final Map<String, String> ALIASES =
      Map.of(
          "CITYVISION_HOST", "http.host",
          "CITYVISION_PORT", "http.port",
          "CITYVISION_DATA", "data",
          "CITYVISION_S3_ENDPOINT", "storage.endpoint",
          "CITYVISION_S3_REGION", "storage.region",
          "CITYVISION_S3_BUCKET", "storage.bucket",
          "CITYVISION_S3_SECURE", "storage.secure");

  /** Variables with the prefix that are not settings (secrets, the launcher's own). */
  private static final Set<String> NOT_SETTINGS =
      Set.of(
          "CITYVISION_CONFIG",
          "CITYVISION_ADMIN_KEY",
          "CITYVISION_S3_ACCESS_KEY",
          "CITYVISION_S3_SECRET_KEY",
          "CITYVISION_SKIP_BUILD",
          "CITYVISION_JAVA_OPTS",
          "CITYVISION_JIT_OPTS",
          "CITYVISION_RAW_STDERR",
          "CITYVISION_WEBHOOK_SECRET",
          "CITYVISION_OPEN311_API_KEY",
          "CITYVISION_HOME",
          "CITYVISION_CLASSPATH",
          "CITYVISION_CACHE_DIR",
          "CITYVISION_KERNELS_CHOICE",
          "CITYVISION_RELEASE");

  private ConfigLoader() {}

  /**
   * Loads the configuration.
   *
   * @param file the JSON configuration file, or {@code null}
   * @param env the environment ({@code System.getenv()}; tests pass their own)
   * @param home the installation home
   * @throws ConfigException naming the key and the rule that failed
   */
  public static ServerConfig load(Path file, Map<String, String> env, Path home)
      throws ConfigException {
    ObjectNode tree = JSON.valueToTree(ServerConfig.defaults(home));
    if (file != null) {
      merge(tree, readFile(file), "");
    }
    applyEnvironment(tree, env);
    try {
      return JSON.treeToValue(tree, ServerConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          "unknown configuration key '" + path(e) + "'; known keys: " + e.getKnownPropertyIds(), e);
    } catch (IOException e) {
      throw new ConfigException("invalid configuration: " + rootMessage(e), e);
    }
  }

  /** Every environment variable that sets something, with the key it sets (for docs and --help). */
  public static Map<String, String> environmentNames(Path home) {
    Map<String, String> out = new LinkedHashMap<>();
    ObjectNode tree = JSON.valueToTree(ServerConfig.defaults(home));
    leaves(tree, "", out);
    ALIASES.forEach((env, key) -> out.put(env, key));
    return out;
  }

  private static JsonNode readFile(Path file) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("configuration file " + file.toAbsolutePath() + " does not exist");
    }
    try {
      JsonNode node = JSON.readTree(file.toFile());
      if (node == null || !node.isObject()) {
        throw new ConfigException("configuration file " + file + " must hold one JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new ConfigException(
          "configuration file " + file + " is not valid JSON: " + rootMessage(e), e);
    }
  }

  /** Deep merge; unknown keys are kept so that binding reports them with the known ones. */
  private static void merge(ObjectNode target, JsonNode source, String prefix)
      throws ConfigException {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode existing = target.get(field.getKey());
      if (existing != null && existing.isObject()) {
        if (!field.getValue().isObject()) {
          throw new ConfigException(
              "configuration key '" + prefix + field.getKey() + "' must be an object");
        }
        merge((ObjectNode) existing, field.getValue(), prefix + field.getKey() + ".");
      } else {
        target.set(field.getKey(), field.getValue());
      }
    }
  }

  private static void applyEnvironment(ObjectNode tree, Map<String, String> env)
      throws ConfigException {
    Map<String, String> names = new LinkedHashMap<>();
    leaves(tree, "", names);
    ALIASES.forEach(names::put);
    Set<String> sections = new TreeSet<>();
    tree.fields()
        .forEachRemaining(
            f -> {
              if (f.getValue().isObject()) {
                sections.add("CITYVISION_" + snake(f.getKey()) + "_");
              }
            });
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith("CITYVISION_") || NOT_SETTINGS.contains(name)) {
        continue;
      }
      String key = names.get(name);
      if (key == null) {
        if (sections.stream().anyMatch(name::startsWith)) {
          throw new ConfigException("environment variable " + name + " names no setting");
        }
        continue;
      }
      set(tree, key, e.getValue(), name);
    }
  }

  private static void set(ObjectNode tree, String key, String value, String source)
      throws ConfigException {
    String[] parts = key.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = (ObjectNode) node.get(parts[i]);
    }
    String leaf = parts[parts.length - 1];
    JsonNode current = node.get(leaf);
    JsonNodeFactory f = JsonNodeFactory.instance;
    String v = value.strip();
    try {
      if (current != null && current.isArray()) {
        ArrayNode array = f.arrayNode();
        for (String item : v.split(",")) {
          if (!item.isBlank()) {
            array.add(item.strip());
          }
        }
        node.set(leaf, array);
      } else if (current != null && current.isBoolean()) {
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
          throw new ConfigException(source + " must be true or false, got '" + value + "'");
        }
        node.put(leaf, Boolean.parseBoolean(v.toLowerCase(Locale.ROOT)));
      } else if (current != null && current.isIntegralNumber()) {
        node.put(leaf, Long.parseLong(v));
      } else if (current != null && current.isNumber()) {
        node.put(leaf, Double.parseDouble(v));
      } else {
        node.put(leaf, v);
      }
    } catch (NumberFormatException e) {
      throw new ConfigException(source + " must be a number, got '" + value + "'", e);
    }
  }

  private static void leaves(JsonNode node, String prefix, Map<String, String> out) {
    node.fields()
        .forEachRemaining(
            f -> {
              String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
              if (f.getValue().isObject()) {
                leaves(f.getValue(), key, out);
              } else if (!key.equals("home")) {
                out.put("CITYVISION_" + snake(key.replace('.', '_')), key);
              }
            });
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  private static String path(UnrecognizedPropertyException e) {
    StringBuilder sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
      }
    }
    return sb.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }
}
