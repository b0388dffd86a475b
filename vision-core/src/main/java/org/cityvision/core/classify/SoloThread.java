package org.cityvision.core.classify;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.model.TorchRuntime;

/**
 * The one thread in the process that runs lone requests on several intra-op threads, shared by
 * every classifier that has a solo worker (each keeps its own predictor, used only here).
 *
 * <p>Why one: libtorch's OpenMP runtime (libgomp) gives every thread that opens a parallel region
 * with more than one thread its own team of helper threads, and once the process holds more such
 * helpers than cores it stops letting idle helpers spin and puts them to sleep after every parallel
 * region. A forward pass opens hundreds of regions, so each then pays a futex wake-up: with a solo
 * thread per model (two models served, three helpers on two cores) a lone request ran 1.5-2.8x
 * slower than on one thread instead of faster (docs/BENCHMARKS.md). One thread per intra-op count
 * keeps the helpers at one team however many models and candidates a node serves.
 *
 * <p>Thread-safe.
 */
final class SoloThread {
  private static final Map<Integer, SoloThread> BY_THREADS = new HashMap<>();

  /**
   * How long a worker holding a lone request waits for the solo thread to come back from its last
   * job: a caller's next request can arrive before the thread has returned from answering the
   * previous one.
   */
  static final long HANDOVER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final SynchronousQueue<Runnable> jobs = new SynchronousQueue<>();
  private final int threads;
  private volatile Thread thread;

  private SoloThread(int threads) {
    this.threads = threads;
  }

  /**
   * The solo thread with {@code threads} intra-op threads, started on first use. Starting it sets
   * the process-wide intra-op count to {@code threads} (libtorch's setter is process-wide as well
   * as per thread): the caller restores its own with {@link TorchRuntime#defaultThreads(int)}.
   */
  static synchronized SoloThread of(int threads) {
    SoloThread solo = BY_THREADS.get(threads);
    if (solo == null) {
      solo = new SoloThread(threads);
      CompletableFuture<Void> ready = new CompletableFuture<>();
      SoloThread started = solo;
      Thread t = new Thread(() -> started.run(ready), "cityvision-solo-" + threads + "t");
      t.setDaemon(true);
      solo.thread = t;
      t.start();
      ready.join();
      BY_THREADS.put(threads, solo);
    }
    return solo;
  }

  int threads() {
    return threads;
  }

  private void run(CompletableFuture<Void> ready) {
    try {
      TorchRuntime.inferenceThread(threads);
      ready.complete(null);
    } catch (RuntimeException | Error e) {
      ready.completeExceptionally(e);
      return;
    }
    while (true) {
      Runnable job;
      try {
        job = jobs.take();
      } catch (InterruptedException e) {
        // Nobody interrupts this thread; should something, keep serving.
        continue;
      }
      try {
        job.run();
      } catch (RuntimeException e) {
        // Jobs complete their own futures; one that throws must not stop the thread.
      }
    }
  }

  /**
   * Hands {@code job} over if the thread is idle or becomes idle within {@link
   * #HANDOVER_WAIT_NANOS} (it may still be running the code that the previous pass's answer set
   * off), else returns {@code false}.
   */
  boolean offer(Runnable job) {
    try {
      return jobs.offer(job, HANDOVER_WAIT_NANOS, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs {@code task} on the solo thread, waiting for it to be free, and returns its result. Called
   * on the solo thread itself (a caller's code that a solo pass's answer ran, closing a classifier
   * for instance), it runs the task at once: that pass is over, and waiting for the thread to be
   * free would wait forever.
   */
  <T> T call(Callable<T> task) throws Exception {
    if (Thread.currentThread() == thread) {
      return task.call();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable job =
        () -> {
          try {
            result.complete(task.call());
          } catch (Exception | Error e) {
            result.completeExceptionally(e);
          }
        };
    jobs.put(job);
    try {
      return result.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }
}
