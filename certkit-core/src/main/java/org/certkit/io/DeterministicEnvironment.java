package org.certkit.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment under which a seed gives bit-identical runs on one machine, and the same
 * numeric code paths on AVX2 and AVX-512 CPUs: MKL, oneDNN and ATen limited to AVX2 kernels, and
 * fixed OpenMP and MKL thread counts. The native library reads these variables when it loads, so
 * they must be set before the JVM starts; {@code ./certkit} exports them for
 * {@code --deterministic}.
 */
public final class DeterministicEnvironment {

  /** The variables that select code paths, with the values a deterministic run needs. */
  public static final Map<String, String> CODE_PATHS = codePaths();

  /** The thread-count variables: each must be the same positive integer. */
  public static final List<String> THREADS = List.of("OMP_NUM_THREADS", "MKL_NUM_THREADS");

  private DeterministicEnvironment() {}

  private static Map<String, String> codePaths() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("MKL_CBWR", "AVX2");
    values.put("ONEDNN_MAX_CPU_ISA", "AVX2");
    values.put("ATEN_CPU_CAPABILITY", "avx2");
    return Collections.unmodifiableMap(values);
  }

  /**
   * What {@code env} lacks for a deterministic run, one entry per variable such as
   * {@code MKL_CBWR=AUTO (needs AVX2)}; empty if nothing.
   */
  public static List<String> problems(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    CODE_PATHS.forEach((name, needed) -> {
      String value = env.get(name);
      if (!needed.equals(value)) {
        problems.add(name + (value == null ? " unset" : "=" + value) + " (needs " + needed + ")");
      }
    });
    String first = env.get(THREADS.get(0));
    for (String name : THREADS) {
      String value = env.get(name);
      if (value == null || !value.matches("[1-9][0-9]*")) {
        problems.add(name + (value == null ? " unset" : "=" + value)
            + " (needs a positive thread count)");
      } else if (!value.equals(first)) {
        problems.add(name + "=" + value + " (needs the same count as " + THREADS.get(0) + "="
            + first + ")");
      }
    }
    return problems;
  }

  /** Whether this process runs in the deterministic environment. */
  public static boolean active() {
    return problems(System.getenv()).isEmpty();
  }

  /**
   * Checks that this process runs in the deterministic environment.
   *
   * @throws IllegalStateException naming what is missing and the variables to export
   */
  public static void require() {
    List<String> problems = problems(System.getenv());
    if (!problems.isEmpty()) {
      StringBuilder export = new StringBuilder("export");
      CODE_PATHS.forEach((name, value) -> export.append(' ').append(name).append('=').append(value));
      THREADS.forEach(name -> export.append(' ').append(name).append("=N"));
      throw new IllegalStateException("--deterministic needs its environment set before the JVM"
          + " starts (./certkit sets it for this option); not set: " + String.join(", ", problems)
          + ". When running the jar directly, first `" + export + "` with one thread count N.");
    }
  }
}
