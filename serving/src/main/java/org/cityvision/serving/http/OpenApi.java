package org.cityvision.serving.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the API's OpenAPI document, read once from the classpath resource
 * {@code /cityvision/openapi.json}. Its paths are exactly the route table's documented routes (a
 * test compares them). Swagger UI shows it at {@code /docs} ({@link SwaggerUi}).
 */
public final class OpenApi {
  /** Where the document lives on the classpath. */
  public static final String RESOURCE = "/cityvision/openapi.json";

  private final Buffer document;
  private final SwaggerUi swaggerUi;

  private OpenApi(Buffer document, SwaggerUi swaggerUi) {
    this.document = document;
    this.swaggerUi = swaggerUi;
  }

  /**
   * Reads the document.
   *
   * @throws UncheckedIOException when the resource is missing or unreadable (a broken build)
   */
  public static OpenApi load() {
    try (InputStream in = OpenApi.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException(RESOURCE + " is missing from the classpath");
      }
      return new OpenApi(Buffer.buffer(in.readAllBytes()), SwaggerUi.load());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the OpenAPI document", e);
    }
  }

  public ApiArea area() {
    ApiArea area =
        new ApiArea("openapi")
            .add(
                HttpMethod.GET,
                "/openapi.json",
                Access.OPEN,
                ctx -> ctx.response().putHeader("Content-Type", "application/json").end(document));
    swaggerUi.addTo(area);
    return area;
  }
}
