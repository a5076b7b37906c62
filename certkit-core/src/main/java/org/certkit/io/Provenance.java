package org.certkit.io;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What changes floating-point results of a run, recorded beside its outputs: Java runtime, DJL and
 * engine versions, operating system and architecture, thread counts, the CPU and its instruction
 * set, the environment variables that pick the engine's numeric code paths, and the allocator
 * settings of the environment.
 *
 * @param java the Java runtime version
 * @param djl the DJL API version
 * @param engine engine name and version, such as {@code PyTorch 2.7.1}
 * @param os operating system name and version
 * @param arch CPU architecture
 * @param processors available processors
 * @param intraOpThreads the engine's intra-op thread count (threads inside one operation)
 * @param interOpThreads the engine's inter-op thread count
 * @param cpu the CPU model name from {@code /proc/cpuinfo}, or {@code unknown}
 * @param instructionSet the highest of {@link #INSTRUCTION_SETS} the CPU has, or {@code unknown}
 * @param numerics the settings of {@link #NUMERIC_VARIABLES}
 * @param deterministic whether the environment is the one of {@link DeterministicEnvironment}
 * @param allocator the {@code MALLOC_*} environment settings in effect
 */
public record Provenance(
    String java,
    String djl,
    String engine,
    String os,
    String arch,
    int processors,
    int intraOpThreads,
    int interOpThreads,
    String cpu,
    String instructionSet,
    Map<String, String> numerics,
    boolean deterministic,
    Map<String, String> allocator) {

  /** Environment variables that change how the native allocator behaves. */
  public static final String[] ALLOCATOR_VARIABLES = {
    "MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
    "LD_PRELOAD"
  };

  /**
   * Environment variables that select MKL, oneDNN and ATen kernels, their thread counts, or how
   * idle OpenMP threads wait.
   */
  public static final String[] NUMERIC_VARIABLES = {
    "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA",
    "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT",
    "OMP_WAIT_POLICY"
  };

  /** x86 instruction-set levels reported by {@link #instructionSet}, highest first. */
  public static final List<String> INSTRUCTION_SETS =
      List.of("avx512f", "avx2", "avx", "sse4_2", "sse4_1", "ssse3", "sse3", "sse2");

  private static final String UNKNOWN = "unknown";

  /** The provenance of the current process. */
  public static Provenance current() {
    Engine engine = Engine.getInstance();
    String cpuinfo;
    try {
      cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException e) {
      cpuinfo = ""; // not Linux: the CPU is recorded as unknown
    }
    return new Provenance(
        System.getProperty("java.runtime.version"),
        Engine.getDjlVersion(),
        engine.getEngineName() + " " + engine.getVersion(),
        System.getProperty("os.name") + " " + System.getProperty("os.version"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(),
        JniUtils.getNumThreads(),
        JniUtils.getNumInteropThreads(),
        cpuModel(cpuinfo),
        instructionSet(cpuinfo),
        environment(NUMERIC_VARIABLES),
        DeterministicEnvironment.active(),
        environment(ALLOCATOR_VARIABLES));
  }

  /** The first {@code model name} of a {@code /proc/cpuinfo} text, or {@code unknown}. */
  static String cpuModel(String cpuinfo) {
    return field(cpuinfo, "model name");
  }

  /**
   * The highest of {@link #INSTRUCTION_SETS} among the first {@code flags} line of a
   * {@code /proc/cpuinfo} text, or {@code unknown}.
   */
  static String instructionSet(String cpuinfo) {
    Set<String> flags = Set.of(field(cpuinfo, "flags").split(" "));
    return INSTRUCTION_SETS.stream().filter(flags::contains).findFirst().orElse(UNKNOWN);
  }

  private static String field(String cpuinfo, String key) {
    return cpuinfo.lines()
        .filter(l -> l.startsWith(key) && l.indexOf(':') > 0
            && l.substring(0, l.indexOf(':')).strip().equals(key))
        .map(l -> l.substring(l.indexOf(':') + 1).strip())
        .findFirst().orElse(UNKNOWN);
  }

  private static Map<String, String> environment(String[] names) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : names) {
      String value = System.getenv(name);
      values.put(name, value == null ? "(unset)" : value);
    }
    return values;
  }
}
