package org.cityvision.serving.inference;

import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import org.cityvision.serving.http.ApiException;

/** Checks on raw image request bodies, before any decoding. */
public final class Bodies {
  private Bodies() {}

  /**
   * The raw body, when its declared type may be an image: {@code image/*}, {@code
   * application/octet-stream} or none. The format itself is decided by magic bytes later.
   *
   * @throws ApiException 415 for another declared type, 400 for an empty body
   */
  public static byte[] rawImage(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null) {
      String t = type.toLowerCase(Locale.ROOT).strip();
      if (!t.startsWith("image/") && !t.startsWith("application/octet-stream")) {
        throw new ApiException(
            415,
            "unsupported_media_type",
            "send the image as the raw body with Content-Type "
                + "image/jpeg or image/png; got Content-Type '"
                + clip(type)
                + "'");
      }
    }
    byte[] bytes = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    if (bytes.length == 0) {
      throw ApiException.badRequest("empty_body", "the request body is empty; send an image");
    }
    return bytes;
  }

  static String clip(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
  }
}
