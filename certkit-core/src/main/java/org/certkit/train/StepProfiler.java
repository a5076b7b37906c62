package org.certkit.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.internal.NativeProfile;

/**
 * A listener that times the {@link StepPhase}s of every step after the first and records, for one
 * chosen step, the engine's native operations per phase (that step is profiled, so it is left out
 * of the times).
 */
public final class StepProfiler implements TrainingListener {

  private final int profiledBatch;
  private final Path trace;
  private final Map<StepPhase, List<Double>> phaseMs = new EnumMap<>(StepPhase.class);
  /** The profiled step's phases: start and end, {@link System#nanoTime()}. */
  private final Map<StepPhase, long[]> windows = new EnumMap<>(StepPhase.class);
  private int batch;
  private long phaseStart;
  private NativeProfile profile;
  /** {@link NativeProfile#startNanos()} of the profiled step. */
  private long origin;
  private List<NativeProfile.Op> ops = List.of();

  /**
   * A profiler of the steps of the first epoch.
   *
   * @param profiledBatch the step whose native operations are recorded, or -1 for none
   * @param trace where the engine writes that step's trace (Chrome trace format), or null for
   *     nowhere
   */
  public StepProfiler(int profiledBatch, Path trace) {
    this.profiledBatch = profiledBatch;
    this.trace = trace;
    for (StepPhase phase : StepPhase.values()) {
      phaseMs.put(phase, new ArrayList<>());
    }
  }

  /** A native operator's calls in a phase of the profiled step and their time. */
  public record OpCount(String name, int count, double ms) { }

  /**
   * One phase.
   *
   * @param phase {@link StepPhase#label()}
   * @param medianMs median time over the timed steps
   * @param share the median's share of the sum of the phases' medians
   * @param nativeOps outermost native operations in the profiled step (0 without one)
   * @param nativeMs their summed time in the profiled step, under the profiler
   * @param operators the operators of those operations, most time first
   */
  public record PhaseRow(String phase, double medianMs, double share, int nativeOps,
      double nativeMs, List<OpCount> operators) { }

  @Override
  public void stepStarted(int epoch, int batch) {
    this.batch = epoch == 0 ? batch : -1;
    if (this.batch == profiledBatch) {
      profile = NativeProfile.start();
      origin = profile.startNanos();
    }
    phaseStart = System.nanoTime();
  }

  @Override
  public void phaseFinished(StepPhase phase) {
    long now = System.nanoTime();
    if (batch == profiledBatch && profile != null) {
      windows.put(phase, new long[] {phaseStart, now});
    } else if (batch > 0) {
      phaseMs.get(phase).add((now - phaseStart) / 1e6);
    }
    phaseStart = now;
  }

  /** Also after a skipped step: the trainer reports every step as finished. */
  @Override
  public void stepFinished(int epoch, int batch, double loss, double accuracy, double eps) {
    if (this.batch != profiledBatch || profile == null) {
      return;
    }
    try {
      ops = trace == null ? profile.stop() : profile.stop(trace);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the step's profile", e);
    }
    profile = null;
  }

  /** The phases in order; empty until a step after the first finished. */
  public List<PhaseRow> rows() {
    Map<StepPhase, Double> medians = new LinkedHashMap<>();
    double total = 0;
    for (StepPhase phase : StepPhase.values()) {
      double[] ms = phaseMs.get(phase).stream().mapToDouble(Double::doubleValue).sorted()
          .toArray();
      if (ms.length == 0) {
        return List.of();
      }
      double median = ms.length % 2 == 1 ? ms[ms.length / 2]
          : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
      medians.put(phase, median);
      total += median;
    }
    List<PhaseRow> rows = new ArrayList<>();
    for (StepPhase phase : StepPhase.values()) {
      List<NativeProfile.Op> in = opsOf(phase);
      Map<String, OpCount> byName = new LinkedHashMap<>();
      for (NativeProfile.Op op : in) {
        byName.merge(op.name(), new OpCount(op.name(), 1, op.durationMicros() / 1e3),
            (a, b) -> new OpCount(a.name(), a.count() + b.count(), a.ms() + b.ms()));
      }
      List<OpCount> operators = byName.values().stream()
          .sorted(Comparator.comparingDouble(OpCount::ms).reversed()).toList();
      rows.add(new PhaseRow(phase.label(), medians.get(phase), medians.get(phase) / total,
          in.size(), in.stream().mapToDouble(NativeProfile.Op::durationMicros).sum() / 1e3,
          operators));
    }
    return rows;
  }

  /** The profiled step's outermost operations that started in {@code phase}. */
  private List<NativeProfile.Op> opsOf(StepPhase phase) {
    long[] window = windows.get(phase);
    if (window == null || ops.isEmpty()) {
      return List.of();
    }
    List<NativeProfile.Op> in = new ArrayList<>();
    for (NativeProfile.Op op : ops) {
      // Op times count from the profile's marker, taken at NativeProfile#startNanos.
      double at = origin + op.startMicros() * 1e3;
      if (at >= window[0] && at < window[1]) {
        in.add(op);
      }
    }
    return in;
  }

  /**
   * The rows as an aligned text table, one line per phase; with a profiled step, also its native
   * operations and their three costliest operators.
   */
  public String table() {
    boolean profiled = !ops.isEmpty();
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "  %-22s %10s %6s",
        "phase", "median ms", "share"));
    out.append(profiled ? String.format(Locale.ROOT, " %10s %10s  %s%n", "native ops",
        "native ms", "top operators (calls, ms)") : System.lineSeparator());
    for (PhaseRow row : rows()) {
      out.append(String.format(Locale.ROOT, "  %-22s %10.1f %5.1f%%", row.phase(),
          row.medianMs(), 100 * row.share()));
      out.append(profiled ? String.format(Locale.ROOT, " %10d %10.1f  %s%n", row.nativeOps(),
          row.nativeMs(), String.join(", ", row.operators().stream().limit(3).map(o ->
              String.format(Locale.ROOT, "%s %d %.1f", o.name(), o.count(), o.ms())).toList()))
          : System.lineSeparator());
    }
    return out.toString();
  }
}
