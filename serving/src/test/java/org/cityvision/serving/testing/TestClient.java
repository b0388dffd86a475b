package org.cityvision.serving.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A blocking HTTP client for tests (Vert.x WebClient underneath); the test closes it. */
public final class TestClient implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final WebClient client;

  /** A response, read whole. */
  public record Response(int status, MultiMap headers, Buffer body) {
    public JsonObject json() {
      return body == null || body.length() == 0 ? new JsonObject() : body.toJsonObject();
    }

    public String errorCode() {
      JsonObject error = json().getJsonObject("error");
      return error == null ? null : error.getString("code");
    }

    public String text() {
      return body == null ? "" : body.toString();
    }
  }

  public TestClient(int port) {
    client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(port)
                .setKeepAlive(true)
                .setIdleTimeout(30),
            new PoolOptions().setHttp1MaxSize(64));
  }

  public Vertx vertx() {
    return vertx;
  }

  public WebClient web() {
    return client;
  }

  public Response get(String path, String key) {
    return send(HttpMethod.GET, path, key, Map.of(), null);
  }

  public Response post(String path, String key, String contentType, byte[] body) {
    return send(
        HttpMethod.POST,
        path,
        key,
        contentType == null ? Map.of() : Map.of("Content-Type", contentType),
        body);
  }

  /** Creates an API key with {@link ServingFixture#ADMIN_KEY} and returns it (shown this once). */
  public String newKey(String role, String name) {
    return postJson(
            "/v1/keys",
            ServingFixture.ADMIN_KEY,
            new JsonObject().put("role", role).put("name", name))
        .json()
        .getString("key");
  }

  public Response postJson(String path, String key, JsonObject body) {
    return post(path, key, "application/json", body.toBuffer().getBytes());
  }

  public Response send(
      HttpMethod method, String path, String key, Map<String, String> headers, byte[] body) {
    return await(async(method, path, key, headers, body));
  }

  public Future<Response> async(
      HttpMethod method, String path, String key, Map<String, String> headers, byte[] body) {
    HttpRequest<Buffer> request = client.request(method, path).timeout(60_000);
    if (key != null) {
      request.putHeader("Authorization", "Bearer " + key);
    }
    headers.forEach(request::putHeader);
    Future<HttpResponse<Buffer>> sent =
        body == null ? request.send() : request.sendBuffer(Buffer.buffer(body));
    return sent.map(r -> new Response(r.statusCode(), r.headers(), r.body()));
  }

  public Response multipart(String path, String key, MultipartForm form) {
    HttpRequest<Buffer> request = client.post(path).timeout(60_000);
    if (key != null) {
      request.putHeader("Authorization", "Bearer " + key);
    }
    return await(
        request
            .sendMultipartForm(form)
            .map(r -> new Response(r.statusCode(), r.headers(), r.body())));
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  @Override
  public void close() {
    client.close();
    await(vertx.close());
  }
}
