package org.certkit.internal;

import ai.djl.pytorch.jni.JniUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

  /** {@link System#nanoTime()} just before the marker: the origin of the ops' times. */
  private final long startNanos;

  private NativeProfile(long startNanos) {
    this.startNanos = startNanos;
  }

  /**
   * A native operation that no other recorded operation encloses (its inner calls are counted
   * in its duration).
   *
   * @param name the operator, such as {@code aten::conv2d}
   * @param startMicros start after {@link #startNanos()}, microseconds
   * @param durationMicros wall time, microseconds
   */
  public record Op(String name, double startMicros, double durationMicros) { }

  /** The shape of the marker whose negation anchors the trace's clock to the JVM's. */
  private static final long[] MARKER = {3, 5, 7, 11};

  /**
   * Starts recording native operations (with their input shapes, in the trace file). The trace's
   * clock has its own origin, so the profile first negates a marker array of a shape nothing
   * else uses and notes the JVM's time just before: that operation anchors the ops' times.
   */
  public static synchronized NativeProfile start() {
    JniUtils.startProfile(false, true, false);
    try (NDManager scope = NDManager.newBaseManager()) {
      NDArray marker = scope.zeros(new Shape(MARKER));
      long now = System.nanoTime();
      marker.neg();
      return new NativeProfile(now);
    }
  }

  /** The origin of the ops' times ({@link System#nanoTime()}): they are microseconds after it. */
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
    double anchor = Double.NaN;
    double markerEnd = Double.NEGATIVE_INFINITY;
    for (JsonNode e : events) {
      if (!"X".equals(e.path("ph").asText())) {
        continue;
      }
      if (Double.isNaN(anchor) && "aten::neg".equals(e.path("name").asText())
          && isMarker(e.path("shape").path(0))) {
        anchor = e.path("ts").asDouble();
        markerEnd = anchor + e.path("dur").asDouble();
      }
      complete.add(e);
    }
    if (Double.isNaN(anchor)) {
      throw new IOException(trace + ": the profile's marker operation is missing");
    }
    double origin = anchor;
    double end = markerEnd;
    // The marker's own operations (its zeros and negation) are not part of what was profiled.
    complete.removeIf(e -> e.path("ts").asDouble() < end);
    complete.sort(Comparator.comparing((JsonNode e) -> e.path("tid").asText())
        .thenComparingDouble(e -> e.path("ts").asDouble())
        .thenComparingDouble(e -> -e.path("dur").asDouble()));
    List<Op> outermost = new ArrayList<>();
    String thread = null;
    double reach = Double.NEGATIVE_INFINITY;
    for (JsonNode e : complete) {
      double ts = e.path("ts").asDouble();
      double dur = e.path("dur").asDouble();
      String tid = e.path("tid").asText();
      if (!tid.equals(thread)) {
        thread = tid;
        reach = Double.NEGATIVE_INFINITY;
      }
      if (ts >= reach) {
        outermost.add(new Op(e.path("name").asText(), ts - origin, dur));
        reach = ts + dur;
      }
    }
    outermost.sort(Comparator.comparingDouble(Op::startMicros));
    return outermost;
  }

  private static boolean isMarker(JsonNode shape) {
    if (shape.size() != MARKER.length) {
      return false;
    }
    for (int i = 0; i < MARKER.length; i++) {
      if (shape.path(i).asLong() != MARKER[i]) {
        return false;
      }
    }
    return true;
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
