package org.certkit.internal;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.certkit.io.Json;

/**
 * The native operations that the engine (PyTorch) runs between {@link #start} and {@link #stop},
 * as its profiler records them: one profile at a time per JVM.
 */
public final class NativeProfile {

  /** When the profile started, {@link System#nanoTime()}: the origin of the ops' times. */
  private final long startNanos;

  private NativeProfile(long startNanos) {
    this.startNanos = startNanos;
  }

  /**
   * A native operation that no other recorded operation encloses (its inner calls are counted
   * in its duration).
   *
   * @param name the operator, such as {@code aten::conv2d}
   * @param startMicros start after {@link #start}, microseconds
   * @param durationMicros wall time, microseconds
   */
  public record Op(String name, double startMicros, double durationMicros) { }

  /** Starts recording native operations (with their input shapes, in the trace file). */
  public static synchronized NativeProfile start() {
    long now = System.nanoTime();
    JniUtils.startProfile(false, true, false);
    return new NativeProfile(now);
  }

  /** {@link System#nanoTime()} of the start: ops' times are microseconds after it. */
  public long startNanos() {
    return startNanos;
  }

  /**
   * Stops recording, writes the engine's trace (Chrome trace format, readable by Perfetto) to
   * {@code trace} and returns its outermost operations in the order they started.
   *
   * @throws IOException if the trace cannot be read back
   */
  public List<Op> stop(Path trace) throws IOException {
    synchronized (NativeProfile.class) {
      JniUtils.stopProfile(trace.toString());
    }
    JsonNode root = Json.MAPPER.readTree(trace.toFile());
    JsonNode events = root.isArray() ? root : root.path("traceEvents");
    List<JsonNode> complete = new ArrayList<>();
    for (JsonNode e : events) {
      if ("X".equals(e.path("ph").asText())) {
        complete.add(e);
      }
    }
    complete.sort(Comparator.comparing((JsonNode e) -> e.path("tid").asText())
        .thenComparingDouble(e -> e.path("ts").asDouble())
        .thenComparingDouble(e -> -e.path("dur").asDouble()));
    List<Op> outermost = new ArrayList<>();
    String thread = null;
    double end = Double.NEGATIVE_INFINITY;
    for (JsonNode e : complete) {
      double ts = e.path("ts").asDouble();
      double dur = e.path("dur").asDouble();
      String tid = e.path("tid").asText();
      if (!tid.equals(thread)) {
        thread = tid;
        end = Double.NEGATIVE_INFINITY;
      }
      if (ts >= end) {
        outermost.add(new Op(e.path("name").asText(), ts, dur));
        end = ts + dur;
      }
    }
    outermost.sort(Comparator.comparingDouble(Op::startMicros));
    return outermost;
  }

  /** {@link #stop(Path)} into a temporary file that is deleted afterwards. */
  public List<Op> stop() throws IOException {
    Path trace = Files.createTempFile("certkit-profile", ".json");
    try {
      return stop(trace);
    } finally {
      Files.deleteIfExists(trace);
    }
  }
}
