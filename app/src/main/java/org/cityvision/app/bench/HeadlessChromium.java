package org.cityvision.app.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven over the DevTools protocol on loopback, for the review page's
 * timings in {@code bench review}: navigate, evaluate JavaScript (awaiting promises), press keys as
 * trusted input events. Nothing is downloaded; background networking is off. Owns the browser
 * process and its profile folder; close it.
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final long TIMEOUT_S = 60;

  private final Process process;
  private final Path profile;
  private final WebSocketClient client;
  private final WebSocket socket;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Promise<JsonObject>> pending = new ConcurrentHashMap<>();

  private HeadlessChromium(
      Process process, Path profile, WebSocketClient client, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(this::onMessage);
  }

  /** {@code true} when Chromium is installed. */
  static boolean available() {
    return Files.isExecutable(CHROMIUM);
  }

  /** Starts a 1440×900 headless browser and attaches to its one page. */
  static HeadlessChromium start(Vertx vertx) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("cityvision-bench-chromium");
    Process process =
        new ProcessBuilder(
                CHROMIUM.toString(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1440,900",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "about:blank")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      URI browser = URI.create(devToolsAddress(process));
      WebSocketClient client = vertx.createWebSocketClient();
      // Held until the answer is in: an unreachable client's pool is closed by Vert.x's cleaner.
      HttpClient http = vertx.createHttpClient();
      JsonArray targets;
      try {
        targets =
            http.request(HttpMethod.GET, browser.getPort(), "127.0.0.1", "/json/list")
                .compose(r -> r.send().compose(res -> res.body()))
                .map(b -> new JsonArray(b))
                .await(TIMEOUT_S, TimeUnit.SECONDS);
      } finally {
        http.close();
      }
      String page = null;
      for (Object t : targets) {
        JsonObject target = (JsonObject) t;
        if ("page".equals(target.getString("type"))) {
          page = target.getString("webSocketDebuggerUrl");
          break;
        }
      }
      if (page == null) {
        throw new IOException("Chromium offered no page to attach to: " + targets.encode());
      }
      URI pageUri = URI.create(page);
      WebSocket socket =
          client
              .connect(
                  new WebSocketConnectOptions()
                      .setHost(pageUri.getHost())
                      .setPort(pageUri.getPort())
                      .setURI(pageUri.getPath())
                      // Chromium refuses DevTools connections that name a web origin.
                      .setAllowOriginHeader(false))
              .await(TIMEOUT_S, TimeUnit.SECONDS);
      return new HeadlessChromium(process, profile, client, socket);
    } catch (Exception e) {
      process.destroyForcibly();
      deleteQuietly(profile);
      throw e instanceof IOException io ? io : new IOException("Chromium did not start", e);
    }
  }

  private static String devToolsAddress(Process process) throws IOException {
    BufferedReader err =
        new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    String line;
    while (System.nanoTime() < deadline && (line = err.readLine()) != null) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        // Keep draining stderr so the browser never blocks on a full pipe.
        Thread drain =
            new Thread(
                () -> {
                  try {
                    while (err.readLine() != null) {
                      // discarded
                    }
                  } catch (IOException ignored) {
                    // the browser exited
                  }
                },
                "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new IOException("Chromium did not report its DevTools address");
  }

  private void onMessage(String text) {
    JsonObject message = new JsonObject(text);
    Long id = message.getLong("id");
    if (id == null) {
      return; // an event: none is subscribed to
    }
    Promise<JsonObject> p = pending.remove(id);
    if (p == null) {
      return;
    }
    JsonObject error = message.getJsonObject("error");
    if (error != null) {
      p.fail(new IOException("DevTools: " + error.encode()));
    } else {
      p.complete(message.getJsonObject("result", new JsonObject()));
    }
  }

  /** Sends one DevTools command and waits for its result. */
  JsonObject call(String method, JsonObject params) {
    long id = ids.incrementAndGet();
    Promise<JsonObject> p = Promise.promise();
    pending.put(id, p);
    socket.writeTextMessage(
        new JsonObject().put("id", id).put("method", method).put("params", params).encode());
    try {
      return p.future().await(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      pending.remove(id);
      throw new IllegalStateException(
          "Chromium did not answer " + method + " within " + TIMEOUT_S + " s", e);
    }
  }

  /** Opens {@code url} in the page (returns once navigation has started). */
  void navigate(URI url) {
    call("Page.navigate", new JsonObject().put("url", url.toString()));
  }

  /**
   * Evaluates {@code expression} in the page, awaiting it when it is a promise; its JSON value.
   *
   * @throws IllegalStateException when the expression throws in the page
   */
  Object eval(String expression) {
    JsonObject out =
        call(
            "Runtime.evaluate",
            new JsonObject()
                .put("expression", expression)
                .put("awaitPromise", true)
                .put("returnByValue", true));
    if (out.containsKey("exceptionDetails")) {
      throw new IllegalStateException(
          "the page threw: " + out.getJsonObject("exceptionDetails").encode());
    }
    return out.getJsonObject("result", new JsonObject()).getValue("value");
  }

  /** Presses and releases one printable key as the keyboard would (a trusted event). */
  void press(char key) {
    String k = String.valueOf(key);
    JsonObject down =
        new JsonObject()
            .put("type", "keyDown")
            .put("key", k)
            .put("text", k)
            .put("code", "Key" + Character.toUpperCase(key))
            .put("windowsVirtualKeyCode", (int) Character.toUpperCase(key));
    call("Input.dispatchKeyEvent", down);
    JsonObject up = down.copy().put("type", "keyUp");
    up.remove("text");
    call("Input.dispatchKeyEvent", up);
  }

  @Override
  public void close() {
    try {
      socket.close().await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the browser is killed below anyway
    }
    client.close();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteQuietly(profile);
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      List<Path> paths = all.sorted(Comparator.reverseOrder()).toList();
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a temporary profile left behind is harmless
    }
  }
}
