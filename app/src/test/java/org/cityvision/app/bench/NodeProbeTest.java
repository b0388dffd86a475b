package org.cityvision.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.cityvision.core.classify.ClassifierStats;
import org.junit.jupiter.api.Test;

/** The probe's arithmetic on known samples, and a live probe on counters that a thread advances. */
class NodeProbeTest {
  static final long MS = 1_000_000L;

  @Test
  void findsTheSlowestIntervalAndTheCompilationInIt() {
    long t1 = 40 * 20 * MS; // 40 images at 20 ms, 10 ms of JIT
    long t2 = t1 + 20 * 40 * MS; // 20 images at 40 ms, 250 ms of JIT: the slowest
    long t3 =
        t2 + 2 * 90 * MS; // 2 images at 90 ms, 300 ms of JIT: too few images to count as slowest
    long t4 = t3 + 38 * 25 * MS; // 38 images at 25 ms
    List<NodeProbe.Sample> samples =
        List.of(
            new NodeProbe.Sample(0, 0, 1000),
            new NodeProbe.Sample(40, t1, 1010),
            new NodeProbe.Sample(60, t2, 1260),
            new NodeProbe.Sample(62, t3, 1560),
            new NodeProbe.Sample(100, t4, 1560));

    NodeProbe.Summary s = NodeProbe.summarize(samples, 5);

    assertEquals((40 * 20 + 20 * 40 + 2 * 90 + 38 * 25) / 100.0, s.forwardMsPerImage(), 1e-9);
    assertEquals(40.0, s.slowestForwardMsPerImage(), 1e-9);
    assertEquals(250, s.slowestJitMs());
    assertEquals(560, s.jitMs());
    assertEquals(300, s.mostJitMs());
  }

  @Test
  void saysNothingAboutForwardPassesWhenNoneRan() {
    NodeProbe.Summary s =
        NodeProbe.summarize(
            List.of(new NodeProbe.Sample(7, 70 * MS, 5), new NodeProbe.Sample(7, 70 * MS, 9)), 5);

    assertTrue(Double.isNaN(s.forwardMsPerImage()));
    assertTrue(Double.isNaN(s.slowestForwardMsPerImage()));
    assertEquals(4, s.jitMs());
  }

  @Test
  void refusesASingleSample() {
    assertThrows(
        IllegalArgumentException.class,
        () -> NodeProbe.summarize(List.of(new NodeProbe.Sample(0, 0, 0)), 5));
  }

  @Test
  void samplesLiveCountersUntilStopped() throws Exception {
    AtomicLong images = new AtomicLong();
    NodeProbe probe =
        NodeProbe.start(
            () -> {
              long n = images.get();
              return new ClassifierStats(0, n, n, 0, n * 3 * MS, List.of());
            },
            20);
    long end = System.nanoTime() + 300 * MS;
    while (System.nanoTime() < end) {
      images.incrementAndGet();
      Thread.onSpinWait();
    }

    NodeProbe.Summary s = probe.stop();

    assertEquals(3.0, s.forwardMsPerImage(), 1e-9);
    assertEquals(3.0, s.slowestForwardMsPerImage(), 1e-9);
    assertTrue(s.jitMs() >= 0 && s.mostJitMs() <= s.jitMs(), s.toString());
  }
}
