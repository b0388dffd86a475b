package org.cityvision.serving.review;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;

/**
 * The review page: plain HTML, CSS and JavaScript modules from the classpath folder {@code
 * webroot/}, served at {@code /} with no CDN and no build step. The files are public; everything
 * they show comes from the review API with the reviewer's key.
 */
public final class ReviewPage {
  /**
   * Where the page's scripts may load from: only this server; images come as blobs fetched with the
   * key. Inline scripts and styles are refused, so injected markup cannot run.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
          + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private ReviewPage() {}

  /**
   * The page's files at {@code /*}: the router serves them on every GET path outside the API's
   * routes, after every API route, so that an unknown API path stays a JSON 404.
   */
  public static ApiArea area() {
    StaticHandler files =
        StaticHandler.create(FileSystemAccess.RELATIVE, "webroot")
            .setIndexPage("index.html")
            .setMaxAgeSeconds(300)
            .setDirectoryListing(false);
    return new ApiArea("review page")
        .add(
            HttpMethod.GET,
            "/*",
            Access.OPEN,
            ctx -> {
              ctx.response()
                  .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                  .putHeader("X-Content-Type-Options", "nosniff")
                  .putHeader("Referrer-Policy", "no-referrer");
              files.handle(ctx);
            });
  }
}
