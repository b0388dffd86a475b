package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.BucketExistsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobState;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.review.Verdict;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Every store operation against the real embedded S3 server, each test in its own bucket. */
class FrameStoreContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2025-06-01T08:30:00.123Z");

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @TempDir Path dataDir;
  private String bucket;
  private MinioFrameStore store;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void openStore(TestInfo info) throws Exception {
    bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    store = StoreFixture.open(server, dataDir, bucket);
  }

  @AfterEach
  void closeStore() throws Exception {
    store.close();
  }

  private MinioClient raw() {
    return MinioClient.builder()
        .endpoint(server.endpoint())
        .credentials(StoreFixture.ACCESS, StoreFixture.SECRET)
        .region("us-east-1")
        .build();
  }

  @Test
  void createsItsBucketOnStart() throws Exception {
    assertTrue(raw().bucketExists(BucketExistsArgs.builder().bucket(bucket).build()));
  }

  @Test
  void storesFrameUnderArchitectureKeyAndReadsItBackByIdAlone() throws Exception {
    FrameUpload upload = StoreFixture.upload("cam-7", T0, 300_000, 1);

    FrameRecord stored = store.putFrame(upload);

    assertEquals(Durability.STORED, stored.durability());
    assertEquals("frames/cam-7/2025/06/01/" + stored.frameId() + ".jpg", stored.key());
    assertEquals(
        "frames/cam-7/2025/06/01/" + stored.frameId() + ".thumb.jpg", stored.thumbnailKey());
    assertTrue(stored.frameId().startsWith("cam-7.20250601T083000123Z."));
    FrameData read = store.readFrame(stored.frameId());
    assertArrayEquals(upload.bytes(), read.bytes());
    assertEquals(stored, read.record());
    assertEquals(stored, store.frame(stored.frameId()));
    assertArrayEquals(upload.thumbnail(), store.readThumbnail(stored.frameId()));
    assertEquals(StorageKeys.sha256Hex(upload.bytes()), stored.sha256());
  }

  @Test
  void writesSha256IntoObjectMetadata() throws Exception {
    FrameRecord stored = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 2));

    var stat =
        raw().statObject(StatObjectArgs.builder().bucket(bucket).object(stored.key()).build());

    assertEquals(stored.sha256(), stat.userMetadata().get("sha256"));
  }

  @Test
  void storesPngFramesAndFindsThemByIdToo() throws Exception {
    byte[] png = StoreFixture.jpeg(2000, 3);
    FrameRecord stored = store.putFrame(new FrameUpload("cam-2", null, "image/png", png, null));

    assertTrue(stored.key().endsWith(".png"));
    assertNull(stored.thumbnailKey());
    assertArrayEquals(png, store.readFrame(stored.frameId()).bytes());
    assertThrows(ObjectNotFoundException.class, () -> store.readThumbnail(stored.frameId()));
  }

  @Test
  void unknownFrameIsNotFound() {
    String id = FrameId.generate("cam-1", T0).value();
    assertThrows(ObjectNotFoundException.class, () -> store.frame(id));
    assertThrows(ObjectNotFoundException.class, () -> store.readFrame(id));
  }

  @Test
  void rejectsMalformedFrameIdAsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> store.frame("../../system/keys/admin"));
  }

  @Test
  void detectsObjectWhoseBytesDoNotMatchTheirChecksum() throws Exception {
    FrameRecord stored = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 4));
    byte[] other = StoreFixture.jpeg(1000, 5);
    raw()
        .putObject(
            PutObjectArgs.builder().bucket(bucket).object(stored.key()).stream(
                    new ByteArrayInputStream(other), other.length, -1)
                .userMetadata(
                    Map.of(
                        "sha256",
                        stored.sha256(),
                        "frame-id",
                        stored.frameId(),
                        "camera-id",
                        "cam-1",
                        "captured-at",
                        T0.toString(),
                        "received-at",
                        T0.toString()))
                .build());

    assertThrows(ChecksumMismatchException.class, () -> store.readFrame(stored.frameId()));
  }

  @Test
  void presignedUrlServesTheFrameWithoutCredentials() throws Exception {
    FrameUpload upload = StoreFixture.upload("cam-1", T0, 5000, 6);
    FrameRecord stored = store.putFrame(upload);

    var url = store.presignedFrameUrl(stored.frameId(), Duration.ofMinutes(5));
    // Java 17's HttpClient has no close(); it holds no server-side resources past the call.
    HttpResponse<byte[]> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());

    assertEquals(200, response.statusCode());
    assertArrayEquals(upload.bytes(), response.body());
  }

  @Test
  void keepsOneResultPerModelVersionAndAnswersHasResultCheaply() throws Exception {
    String frameId = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 7)).frameId();
    JsonNode top = JSON.readTree("{\"label\":\"pothole\",\"score\":0.91}");
    store.putResult(new ResultRecord(frameId, "urban", "1.0.0", T0, top));
    store.putResult(new ResultRecord(frameId, "urban", "1.1.0", T0, top));
    store.putResult(new ResultRecord(frameId, "urban", "1.1.0", T0.plusSeconds(1), top));

    List<ResultRecord> results = store.results(frameId);

    assertEquals(List.of("1.0.0", "1.1.0"), results.stream().map(ResultRecord::version).toList());
    assertEquals(T0.plusSeconds(1), results.get(1).classifiedAt());
    assertEquals(top, results.get(0).payload());
    assertTrue(store.hasResult(frameId, "urban", "1.1.0"));
    assertFalse(store.hasResult(frameId, "urban", "2.0.0"));
    assertFalse(store.hasResult(frameId, "waste", "1.0.0"));
  }

  @Test
  void createsFlagOnceAndListsItAsOpen() throws Exception {
    String frameId = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 8)).frameId();
    FlagRecord flag = FlagRecord.open(frameId, "pothole", 0.8, "urban", "1.0.0", T0);

    FlagRecord first = store.createFlag(flag);
    FlagRecord again =
        store.createFlag(FlagRecord.open(frameId, "graffiti", 0.5, "urban", "1.0.0", T0));

    assertEquals(flag, first);
    assertEquals(flag, again);
    assertEquals(flag, store.flag(frameId));
    assertEquals(List.of(flag), store.listFlags(FlagQuery.of(FlagStatus.OPEN, 10)).items());
  }

  @Test
  void reviewMovesFlagToItsVerdictQueueAndAppendsTheVerdict() throws Exception {
    String frameId = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 9)).frameId();
    store.createFlag(FlagRecord.open(frameId, "pothole", 0.8, "urban", "1.0.0", T0));

    FlagRecord reviewed =
        store.reviewFlag(
            new FlagReview(frameId, Verdict.RELABEL, "crack", "not a pothole", "alice", false));

    assertEquals(FlagStatus.RELABELLED, reviewed.status());
    assertEquals(2, reviewed.revision());
    assertEquals("crack", reviewed.verdictLabel());
    assertEquals("pothole", reviewed.label());
    assertEquals(reviewed, store.flag(frameId));
    assertTrue(store.listFlags(FlagQuery.of(FlagStatus.OPEN, 10)).items().isEmpty());
    assertEquals(
        List.of(reviewed), store.listFlags(FlagQuery.of(FlagStatus.RELABELLED, 10)).items());
    List<ReviewRecord> reviews = store.listReviews(null, 10).items();
    assertEquals(1, reviews.size());
    ReviewRecord review = reviews.get(0);
    assertEquals("alice", review.reviewer());
    assertEquals("1.0.0", review.modelVersion());
    assertEquals(FlagStatus.OPEN, review.previousStatus());
    assertEquals(reviewed.reviewedAt(), review.reviewedAt());
  }

  @Test
  void secondReviewConflictsUnlessItOverrides() throws Exception {
    String frameId = store.putFrame(StoreFixture.upload("cam-1", T0, 1000, 10)).frameId();
    store.createFlag(FlagRecord.open(frameId, "pothole", 0.8, "urban", "1.0.0", T0));
    store.reviewFlag(new FlagReview(frameId, Verdict.CONFIRM, null, null, "alice", false));

    assertThrows(
        ConflictException.class,
        () -> store.reviewFlag(new FlagReview(frameId, Verdict.REJECT, null, null, "bob", false)));
    FlagRecord overridden =
        store.reviewFlag(
            new FlagReview(frameId, Verdict.REJECT, null, "on second look", "bob", true));

    assertEquals(FlagStatus.REJECTED, overridden.status());
    assertEquals(3, overridden.revision());
    assertTrue(store.listFlags(FlagQuery.of(FlagStatus.CONFIRMED, 10)).items().isEmpty());
    assertEquals(1, store.listFlags(FlagQuery.of(FlagStatus.REJECTED, 10)).items().size());
    assertEquals(2, store.listReviews(null, 10).items().size());
  }

  @Test
  void reviewingAFrameWithoutFlagIsNotFound() {
    String id = FrameId.generate("cam-1", T0).value();
    assertThrows(
        ObjectNotFoundException.class,
        () -> store.reviewFlag(new FlagReview(id, Verdict.CONFIRM, null, null, "alice", false)));
  }

  @Test
  void storesApiKeysHashedByNameAndRefusesDuplicates() throws Exception {
    ApiKeyRecord cam =
        new ApiKeyRecord(
            "cam-gate", KeyRole.CAMERA, StorageKeys.sha256Hex("secret-1".getBytes()), T0);
    ApiKeyRecord admin =
        new ApiKeyRecord("admin", KeyRole.ADMIN, StorageKeys.sha256Hex("secret-2".getBytes()), T0);
    store.createApiKey(cam);
    store.createApiKey(admin);

    assertThrows(ConflictException.class, () -> store.createApiKey(cam));
    assertEquals(Optional.of(cam), store.apiKey("cam-gate"));
    assertEquals(List.of(admin, cam), store.apiKeys());
    assertTrue(store.deleteApiKey("cam-gate"));
    assertFalse(store.deleteApiKey("cam-gate"));
    assertEquals(Optional.empty(), store.apiKey("cam-gate"));
  }

  @Test
  void storesJobStateAndListsJobs() throws Exception {
    JobState running =
        new JobState(
            "job-1", "urban", "frames/cam-1/", JobStatus.RUNNING, 10, 4, 1, 0, null, null, T0, T0);
    JobState done =
        new JobState(
            "job-1",
            "urban",
            "frames/cam-1/",
            JobStatus.DONE,
            10,
            9,
            1,
            0,
            null,
            null,
            T0,
            T0.plusSeconds(5));
    store.putJob(running);
    store.putJob(done);
    store.putJob(
        new JobState(
            "job-2",
            "waste",
            "frames/",
            JobStatus.FAILED,
            0,
            0,
            0,
            0,
            null,
            "no such prefix",
            T0,
            T0));

    assertEquals(Optional.of(done), store.job("job-1"));
    assertEquals(Optional.empty(), store.job("job-3"));
    Page<JobState> first = store.listJobs(null, 1);
    Page<JobState> second = store.listJobs(first.nextCursor(), 1);
    assertEquals("job-1", first.items().get(0).jobId());
    assertEquals("job-2", second.items().get(0).jobId());
    assertFalse(second.hasMore());
  }

  @Test
  void claimsIdempotencyKeyOnceAndReplaysTheStoredValue() throws Exception {
    JsonNode pending = JSON.readTree("{\"state\":\"pending\"}");
    JsonNode done = JSON.readTree("{\"state\":\"done\",\"frameId\":\"x\"}");

    Optional<JsonNode> first = store.claimIdempotencyKey("req-42", pending);
    Optional<JsonNode> second = store.claimIdempotencyKey("req-42", done);
    store.completeIdempotencyKey("req-42", done);

    assertEquals(Optional.empty(), first);
    assertEquals(Optional.of(pending), second);
    assertEquals(Optional.of(done), store.claimIdempotencyKey("req-42", pending));
  }

  @Test
  void reportsReachableAndEmptySpoolWhenHealthy() {
    StoreHealth health = store.health();

    assertTrue(health.reachable());
    assertEquals(0, health.spoolItems());
    assertFalse(health.degraded());
  }

  @Test
  void opensDegradedAndSpoolsWhenMinioIsUnreachable(@TempDir Path otherData) throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    StorageConfig config =
        StoreFixture.config("http://127.0.0.1:" + deadPort, otherData, "t-unreachable");
    try (FrameStore down = FrameStores.open(config)) {
      FrameRecord frame = down.putFrame(StoreFixture.upload("cam-1", T0, 1000, 11));

      assertEquals(Durability.SPOOLED, frame.durability());
      assertEquals(Durability.SPOOLED, down.frame(frame.frameId()).durability());
      StoreHealth health = down.health();
      assertFalse(health.reachable());
      assertTrue(health.degraded());
      assertEquals(1, health.spoolItems());
    }
  }
}
