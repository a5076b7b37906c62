package org.certkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.certkit.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny {@code certkit bench}: every training method gets a step time, a ratio to the standard
 * step and a peak RSS, and {@code --compare} divides the measured times by a peer's, reporting
 * keys this run did not measure instead of failing.
 */
class BenchCommandTest {

  @TempDir Path dir;

  @Test
  void stepTimesAndPeerRatios() throws Exception {
    Path peers = dir.resolve("peers.json");
    Files.writeString(peers, "{\"peers\": [{\"name\": \"someone\", \"ms\": {"
        + "\"step_ms.standard\": 2.5, \"ibp_forward_ms\": 0.5, \"crown_outward_ms\": 1}}]}");
    Path json = dir.resolve("bench.json");
    Path profile = dir.resolve("profile");
    CertkitCommandTest.Run run = CertkitCommandTest.run("bench", "--arch", "fc",
        "--batch-size", "8", "--repeats", "1", "--train-steps", "3", "--crown-batch-size", "0",
        "--quiet", "--compare", peers.toString(), "--json", json.toString(),
        "--profile", profile.toString());
    assertEquals(0, run.exitCode(), run.toString());
    JsonNode r = Json.MAPPER.readTree(json.toFile());
    for (String method : new String[] {"standard", "pgd10", "ibp", "expected-bounds"}) {
      JsonNode phases = r.path("step_phases").path(method);
      assertEquals(5, phases.size(), method + ": " + phases);
      assertTrue(phases.get(2).path("nativeOps").asInt() > 0, method + ": " + phases);
      assertTrue(Files.size(profile.resolve(method + "-step.json")) > 0, method);
      assertTrue(r.path("step_ms").path(method).asDouble() > 0, method);
      assertTrue(r.path("training_peak_rss_bytes").path(method).asLong() > 0, method);
      assertEquals(r.path("step_ms").path(method).asDouble()
          / r.path("step_ms").path("standard").asDouble(),
          r.path("step_ratio_to_standard").path(method).asDouble(), 1e-12, method);
    }
    // crown_outward_ms was not measured (--crown-batch-size 0): no row, no failure.
    JsonNode rows = r.path("comparison");
    assertEquals(2, rows.size(), rows.toString());
    assertEquals("step_ms.standard", rows.get(0).path("key").asText());
    assertEquals(r.path("step_ms").path("standard").asDouble() / 2.5,
        rows.get(0).path("ratio").asDouble(), 1e-12);
    assertEquals(r.path("ibp_forward_ms").asDouble() / 0.5, rows.get(1).path("ratio").asDouble(),
        1e-12);
    // The traces are there: a second profile into the same directory stops before it starts.
    CertkitCommandTest.Run again = CertkitCommandTest.run("bench", "--arch", "fc", "--quiet",
        "--profile", profile.toString());
    assertTrue(again.exitCode() != 0 && again.toString().contains("exists"), again.toString());
  }
}
