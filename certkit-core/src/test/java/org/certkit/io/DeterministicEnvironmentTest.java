package org.certkit.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeterministicEnvironmentTest {

  /** What {@code ./certkit --deterministic} exports on a 2-core machine. */
  private static Map<String, String> launcher() {
    Map<String, String> env = new HashMap<>(Map.of("MKL_CBWR", "AVX2", "ONEDNN_MAX_CPU_ISA",
        "AVX2", "ATEN_CPU_CAPABILITY", "avx2", "OMP_NUM_THREADS", "2", "MKL_NUM_THREADS", "2"));
    env.put("PATH", "/usr/bin");
    return env;
  }

  @Test
  void launcherEnvironmentIsDeterministic() {
    assertEquals(List.of(), DeterministicEnvironment.problems(launcher()));
  }

  @Test
  void emptyEnvironmentNamesEveryVariable() {
    assertEquals(List.of("MKL_CBWR unset (needs AVX2)", "ONEDNN_MAX_CPU_ISA unset (needs AVX2)",
        "ATEN_CPU_CAPABILITY unset (needs avx2)",
        "OMP_NUM_THREADS unset (needs a positive thread count)",
        "MKL_NUM_THREADS unset (needs a positive thread count)"),
        DeterministicEnvironment.problems(Map.of()));
  }

  @Test
  void wrongValuesAreNamed() {
    Map<String, String> env = launcher();
    env.put("MKL_CBWR", "AUTO");
    env.put("MKL_NUM_THREADS", "4");
    assertEquals(List.of("MKL_CBWR=AUTO (needs AVX2)",
        "MKL_NUM_THREADS=4 (needs the same count as OMP_NUM_THREADS=2)"),
        DeterministicEnvironment.problems(env));
    env = launcher();
    env.put("OMP_NUM_THREADS", "0");
    env.put("MKL_NUM_THREADS", "0");
    assertEquals(2, DeterministicEnvironment.problems(env).size(), "0 threads");
    assertTrue(DeterministicEnvironment.problems(env).get(0).startsWith("OMP_NUM_THREADS=0"));
  }
}
