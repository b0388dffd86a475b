package org.cityvision.serving.inference;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.serving.log.JsonLog;

/**
 * One loaded version of the model serving a task: its package, its classifier, and the task's
 * admission gate (shared by every version of the task, so a swap never resets the in-flight bound).
 *
 * <h2>Leases</h2>
 *
 * A request that uses the classifier holds a lease ({@link #tryAcquire()} ... {@link #release()}).
 * The registry holds one reference of its own while this version serves; {@link #retire()} gives it
 * up when another version replaces it, and the classifier is closed (on the closer executor, never
 * on the releasing thread, which may be an event loop) when the last lease is released. So a swap
 * never fails a request: whoever acquired this version finishes on it.
 *
 * <p>Thread-safe.
 */
public final class ServedModel {
  private final String task;
  private final ModelPackage pkg;
  private final Classifier classifier;
  private final AdmissionGate gate;
  private final Executor closer;

  /** The registry's reference plus one per lease; 0 means closed (or closing) for good. */
  private final AtomicInteger references = new AtomicInteger(1);

  ServedModel(
      String task, ModelPackage pkg, Classifier classifier, AdmissionGate gate, Executor closer) {
    this.task = task;
    this.pkg = pkg;
    this.classifier = classifier;
    this.gate = gate;
    this.closer = closer;
  }

  public String task() {
    return task;
  }

  public ModelSpec spec() {
    return pkg.spec();
  }

  public String version() {
    return pkg.spec().version();
  }

  public ModelPackage pkg() {
    return pkg;
  }

  /**
   * The classifier. Use it within a lease: a version that has been replaced closes it once its last
   * lease is released.
   */
  public Classifier classifier() {
    return classifier;
  }

  AdmissionGate gate() {
    return gate;
  }

  public int inFlight() {
    return gate.inFlight();
  }

  /**
   * Takes a lease; false when this version is closed (the caller takes the current one instead).
   */
  boolean tryAcquire() {
    while (true) {
      int n = references.get();
      if (n == 0) {
        return false;
      }
      if (references.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Gives a lease back; the last one of a retired version closes its classifier. */
  public void release() {
    int n = references.decrementAndGet();
    if (n == 0) {
      try {
        closer.execute(this::closeClassifier);
      } catch (RejectedExecutionException e) {
        // The registry has closed its closer: this is the node's shutdown, off the event loop.
        closeClassifier();
      }
    } else if (n < 0) {
      throw new IllegalStateException(
          "model " + spec().name() + " " + version() + " released more often than acquired");
    }
  }

  private void closeClassifier() {
    long t0 = System.nanoTime();
    classifier.close();
    JsonLog.get()
        .info(
            "model_closed",
            "task",
            task,
            "model",
            spec().name(),
            "version",
            version(),
            "ms",
            (System.nanoTime() - t0) / 1_000_000);
  }

  /** Gives up the registry's reference: this version stops serving once its leases are released. */
  void retire() {
    release();
  }
}
