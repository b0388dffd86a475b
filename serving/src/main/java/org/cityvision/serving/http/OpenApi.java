package org.cityvision.serving.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the API's OpenAPI document, read once from the classpath resource
 * {@code /cityvision/openapi.json}. Its paths are exactly the route table's documented routes
 * (a test compares them).
 */
public final class OpenApi {
  /** Where the document lives on the classpath. */
  public static final String RESOURCE = "/cityvision/openapi.json";

  private final Buffer document;

  private OpenApi(Buffer document) {
    this.document = document;
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
      return new OpenApi(Buffer.buffer(in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the OpenAPI document", e);
    }
  }

  public ApiArea area() {
    return new ApiArea("openapi").add(HttpMethod.GET, "/openapi.json", Access.OPEN,
        ctx -> ctx.response().putHeader("Content-Type", "application/json").end(document));
  }
}
