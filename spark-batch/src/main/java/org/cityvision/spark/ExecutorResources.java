package org.cityvision.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkFiles;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageException;

/**
 * What an executor JVM loads once and reuses across every partition (and job) it runs: the {@link
 * Classifier} (a model load and its warm-up cost seconds; a partition should not pay them) and the
 * {@link FrameStore}.
 *
 * <p>On a cluster the store is opened from the executor's environment ({@code
 * CITYVISION_S3_ENDPOINT}, {@code CITYVISION_S3_ACCESS_KEY}, {@code CITYVISION_S3_SECRET_KEY}, ...;
 * set them with {@code spark.executorEnv.*}), so no secret travels with the tasks. In local mode
 * the driver lends its own store with {@link #lendStore}, because executors share its JVM.
 *
 * <p>Thread-safe (every method is synchronized; tasks of one executor call it at once). What it
 * opened is closed by {@link #closeAll} or, on executors, by a shutdown hook.
 */
public final class ExecutorResources {
  private static final AtomicInteger CLASSIFIER_LOADS = new AtomicInteger();
  private static FrameStore store;
  private static boolean ownsStore;
  private static Classifier classifier;
  private static String classifierKey;
  private static boolean hooked;

  private ExecutorResources() {}

  /** Local mode: tasks in this JVM use {@code lent} (the caller keeps ownership). */
  public static synchronized void lendStore(FrameStore lent) {
    if (store != null && ownsStore) {
      closeQuietly(store);
    }
    store = lent;
    ownsStore = false;
  }

  static synchronized FrameStore store() throws StorageException {
    if (store == null) {
      Map<String, String> env = System.getenv();
      if (env.get("CITYVISION_S3_ENDPOINT") == null) {
        throw new IllegalStateException(
            "executors need CITYVISION_S3_ENDPOINT (and the access and secret keys) "
                + "in their environment: set spark.executorEnv.CITYVISION_S3_ENDPOINT etc.");
      }
      Path spool;
      try {
        spool = Files.createTempDirectory("cityvision-executor");
      } catch (IOException e) {
        throw new StorageException("cannot create the executor's spool directory", e);
      }
      store = FrameStores.open(StorageConfig.fromEnvironment(env, spool));
      ownsStore = true;
      hook();
    }
    return store;
  }

  static synchronized Classifier classifier(SparkBatchSpec spec) throws ModelException {
    String key = spec.modelDir() + "#" + spec.classifierWorkers();
    if (classifier == null || !key.equals(classifierKey)) {
      if (classifier != null) {
        classifier.close();
      }
      Path dir =
          SparkBatchSpec.SPARK_FILES.equals(spec.modelDir())
              ? Path.of(SparkFiles.getRootDirectory())
              : Path.of(spec.modelDir());
      // One classifier per executor: as many inference workers as the executor has cores, one
      // libtorch thread each (more OpenMP threads than cores run ~10x slower).
      classifier =
          Classifier.open(
              ModelPackage.read(dir),
              ClassifierOptions.defaults()
                  .withWorkers(spec.classifierWorkers())
                  .withTorchThreads(1)
                  .withQueueCapacity(
                      Math.max(64, 4 * spec.classifierWorkers() * spec.taskParallelism())));
      classifierKey = key;
      CLASSIFIER_LOADS.incrementAndGet();
      hook();
    }
    return classifier;
  }

  /** How often this JVM loaded a classifier: once per executor, whatever the partitions. */
  public static int classifierLoads() {
    return CLASSIFIER_LOADS.get();
  }

  /** Closes the classifier and a store this class opened; forgets a lent store. */
  public static synchronized void closeAll() {
    if (classifier != null) {
      classifier.close();
      classifier = null;
      classifierKey = null;
    }
    if (store != null && ownsStore) {
      closeQuietly(store);
    }
    store = null;
  }

  private static void hook() {
    if (!hooked) {
      hooked = true;
      Runtime.getRuntime()
          .addShutdownHook(new Thread(ExecutorResources::closeAll, "cityvision-executor-close"));
    }
  }

  private static void closeQuietly(FrameStore s) {
    try {
      s.close();
    } catch (StorageException e) {
      // Closing at the end of an executor's life: the spool stays on disk for the next store.
    }
  }
}
