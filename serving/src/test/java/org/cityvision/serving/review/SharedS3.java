package org.cityvision.serving.review;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One embedded S3 server and one Vert.x for all tests of a class; each test starts its own review
 * nodes.
 */
abstract class SharedS3 {
  @TempDir static Path s3Dir;
  static EmbeddedS3Server s3;
  static Vertx vertx;

  @BeforeAll
  static void startShared() throws Exception {
    s3 = EmbeddedS3Server.start(s3Dir, 0, "review-test", "review-test-secret");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopShared() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    s3.close();
  }
}
