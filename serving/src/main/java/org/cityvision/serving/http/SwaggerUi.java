package org.cityvision.serving.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * Swagger UI at {@code /docs}, over {@code /openapi.json}: the page and its script from the
 * classpath folder {@code /cityvision/docs/}, Swagger UI's own files from the {@code
 * org.webjars:swagger-ui} jar. Everything is served by this server (no CDN), so the page works on a
 * network with no way out. Files are read once at start; only the listed names are served.
 *
 * <p>Immutable and thread-safe once loaded.
 */
final class SwaggerUi {
  private static final String WEBJAR_POM = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";
  private static final String PAGE = "/cityvision/docs/index.html";

  /** Where the page's scripts, styles and images may come from: this server only. */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; "
          + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
          + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private record File(String contentType, Buffer bytes) {}

  private final Buffer page;
  private final Map<String, File> files;

  private SwaggerUi(Buffer page, Map<String, File> files) {
    this.page = page;
    this.files = files;
  }

  /**
   * @throws UncheckedIOException when the webjar or the page is missing (a broken build)
   */
  static SwaggerUi load() {
    String version = webjarVersion();
    String dir = "/META-INF/resources/webjars/swagger-ui/" + version + "/";
    return new SwaggerUi(
        read(PAGE),
        Map.of(
            "swagger-ui-bundle.js",
                new File("text/javascript; charset=utf-8", read(dir + "swagger-ui-bundle.js")),
            "swagger-ui.css", new File("text/css; charset=utf-8", read(dir + "swagger-ui.css")),
            "favicon-32x32.png", new File("image/png", read(dir + "favicon-32x32.png")),
            "favicon-16x16.png", new File("image/png", read(dir + "favicon-16x16.png")),
            "docs.js",
                new File("text/javascript; charset=utf-8", read("/cityvision/docs/docs.js"))));
  }

  /** {@code GET /docs}: the page. */
  void page(RoutingContext ctx) {
    headers(ctx, "text/html; charset=utf-8").putHeader("Cache-Control", "no-cache").end(page);
  }

  /** {@code GET /docs/*}: one of the page's files, or the JSON 404 of any unknown path. */
  void file(RoutingContext ctx) {
    String name = ctx.normalizedPath().substring("/docs/".length());
    File file = files.get(name);
    if (file == null) {
      ctx.next();
      return;
    }
    headers(ctx, file.contentType())
        .putHeader("Cache-Control", "public, max-age=3600")
        .end(file.bytes());
  }

  private static HttpServerResponse headers(RoutingContext ctx, String contentType) {
    return ctx.response()
        .putHeader("Content-Type", contentType)
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
  }

  void addTo(ApiArea area) {
    area.add(HttpMethod.GET, "/docs", Access.OPEN, this::page)
        .add(HttpMethod.GET, "/docs/*", Access.OPEN, this::file);
  }

  private static String webjarVersion() {
    try (InputStream in = SwaggerUi.class.getResourceAsStream(WEBJAR_POM)) {
      if (in == null) {
        throw new IOException(
            WEBJAR_POM + " is missing: the org.webjars:swagger-ui jar is not on the classpath");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find Swagger UI's version", e);
    }
  }

  private static Buffer read(String resource) {
    try (InputStream in = SwaggerUi.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(resource + " is missing from the classpath");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Swagger UI's file " + resource, e);
    }
  }
}
