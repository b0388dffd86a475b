package org.cityvision.app.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ConfigException;
import org.cityvision.serving.config.ConfigLoader;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.HttpConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.log.JsonLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision serve}: starts a serving node and runs until SIGINT/SIGTERM, then shuts down
 * gracefully. Once ready (after the start-up warm-up, {@code http.warmUpSeconds}) it prints exactly
 * one line on stdout, {@code listening on http://HOST:PORT}; everything else goes to stderr as JSON
 * log lines (a bootstrap admin key among them). A configuration it refuses is one plain line on
 * stderr and exit code 2, before anything is logged.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Start the HTTP server: camera ingest, sorting-machine classification, models, keys, health, metrics.",
      "Settings: defaults < --config FILE (JSON) < environment (CITYVISION_...) < options.",
      "Secrets only from the environment: CITYVISION_ADMIN_KEY, CITYVISION_S3_ACCESS_KEY, CITYVISION_S3_SECRET_KEY."
    })
public final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      description = "port; 0 = any free port (env CITYVISION_PORT; default 8080)")
  Integer port;

  @Option(
      names = "--host",
      description = "interface to bind (env CITYVISION_HOST; default 127.0.0.1)")
  String host;

  @Option(
      names = "--data",
      description = "embedded store, spool and uploads (env CITYVISION_DATA; default ./data)")
  Path data;

  @Option(names = "--config", description = "JSON configuration file (env CITYVISION_CONFIG)")
  Path config;

  @Override
  public Integer call() throws Exception {
    Map<String, String> env = System.getenv();
    ServerConfig cfg;
    Secrets secrets;
    try {
      cfg = resolve(env);
      secrets = Secrets.fromEnvironment(env);
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("cityvision serve: " + e.getMessage());
      return 2;
    }
    // With no endpoint configured, the store's S3 server runs in this process: started before the
    // node, stopped after it (its spool drains into it at shutdown).
    StorageEndpoint storage;
    try {
      storage = StorageEndpoint.of(cfg, secrets);
    } catch (StoreUnavailableException e) {
      JsonLog.get().error("start_failed", e);
      JsonLog.get().flush(1000);
      return 1;
    }
    ServingNode node;
    try {
      node =
          ServingNode.start(storage.config(), storage.secrets())
              .toCompletionStage()
              .toCompletableFuture()
              .get();
    } catch (ExecutionException e) {
      storage.close();
      JsonLog.get().error("start_failed", e.getCause());
      JsonLog.get().flush(1000);
      return 1;
    }
    // One log line like every other, so that log shippers parse it; the key is shown only this
    // once.
    node.bootstrapKey()
        .ifPresent(
            k ->
                JsonLog.get()
                    .warn(
                        "admin_key_created",
                        "name",
                        k.record().name(),
                        "key",
                        k.key(),
                        "note",
                        "the store had no API keys: this admin key is shown only this once; set "
                            + "CITYVISION_ADMIN_KEY to choose it yourself, create more with 'cityvision keys create' or POST /v1/keys"));
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.set(true);
                  try {
                    node.shutdown()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(
                            cfg.http().shutdownGraceMs() + cfg.storage().spoolDrainMs() + 30_000,
                            TimeUnit.MILLISECONDS);
                  } catch (Exception e) {
                    JsonLog.get().error("shutdown_unclean", e);
                  } finally {
                    storage.close();
                    JsonLog.get().flush(2000);
                    stopped.countDown();
                  }
                },
                "cityvision-shutdown"));
    // Ready (and announced) only after the start-up warm-up; a shutdown during it ends the wait.
    node.warmedUp().toCompletionStage().toCompletableFuture().join();
    if (!stopping.get()) {
      System.out.println("listening on http://" + node.host() + ":" + node.port());
      System.out.flush();
    }
    stopped.await();
    return 0;
  }

  ServerConfig resolve(Map<String, String> env) throws ConfigException {
    Path file =
        config != null
            ? config
            : env.get("CITYVISION_CONFIG") == null || env.get("CITYVISION_CONFIG").isBlank()
                ? null
                : Path.of(env.get("CITYVISION_CONFIG"));
    ServerConfig cfg = ConfigLoader.load(file, env, Home.root());
    if (data != null) {
      cfg = cfg.withData(data);
    }
    if (port != null || host != null) {
      HttpConfig h = cfg.http();
      cfg =
          cfg.withHttp(
              h.withAddress(host != null ? host : h.host(), port != null ? port : h.port()));
    }
    return cfg;
  }
}
