package org.certkit.io;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What changes floating-point results of a run, recorded beside its outputs: Java runtime, DJL and
 * engine versions, operating system and architecture, thread count and the allocator settings of
 * the environment.
 *
 * @param java the Java runtime version
 * @param djl the DJL API version
 * @param engine engine name and version, such as {@code PyTorch 2.7.1}
 * @param os operating system name and version
 * @param arch CPU architecture
 * @param processors available processors
 * @param allocator the {@code MALLOC_*} environment settings in effect
 */
public record Provenance(
    String java,
    String djl,
    String engine,
    String os,
    String arch,
    int processors,
    Map<String, String> allocator) {

  /** Environment variables that change how the native allocator behaves. */
  public static final String[] ALLOCATOR_VARIABLES = {
    "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "LD_PRELOAD"
  };

  /** The provenance of the current process. */
  public static Provenance current() {
    Engine engine = Engine.getInstance();
    Map<String, String> allocator = new LinkedHashMap<>();
    for (String name : ALLOCATOR_VARIABLES) {
      String value = System.getenv(name);
      allocator.put(name, value == null ? "(unset)" : value);
    }
    return new Provenance(
        System.getProperty("java.runtime.version"),
        Engine.getDjlVersion(),
        engine.getEngineName() + " " + engine.getVersion(),
        System.getProperty("os.name") + " " + System.getProperty("os.version"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(),
        allocator);
  }
}
