package org.certkit.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class ProvenanceTest {

  /** Two processors of a machine with AVX-512 (trimmed from a real /proc/cpuinfo). */
  private static final String AVX512 = """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      model name\t: AMD EPYC 9R14
      flags\t\t: fpu sse2 ssse3 sse4_1 sse4_2 avx avx2 avx512f avx512dq
      model\t\t: 17

      processor\t: 1
      model name\t: AMD EPYC 9R14
      flags\t\t: fpu sse2 ssse3 sse4_1 sse4_2 avx avx2 avx512f avx512dq
      """;

  @Test
  void cpuModelAndHighestInstructionSetComeFromCpuinfo() {
    assertEquals("AMD EPYC 9R14", Provenance.cpuModel(AVX512), "not the 'model' line");
    assertEquals("avx512f", Provenance.instructionSet(AVX512));
    String avx2 = "model name\t: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz\n"
        + "flags\t\t: fpu sse2 sse4_1 sse4_2 fma avx2 avx_vnni\n";
    assertEquals("avx2", Provenance.instructionSet(avx2), "avx_vnni is not avx512f");
    assertEquals("sse4_2", Provenance.instructionSet("flags\t: sse2 sse4_2 avxfoo\n"));
  }

  @Test
  void cpuOutsideLinuxIsUnknown() {
    assertEquals("unknown", Provenance.cpuModel(""));
    assertEquals("unknown", Provenance.instructionSet(""));
  }

  /**
   * The surefire settings run the tests with {@code OMP_NUM_THREADS=1} and without the
   * deterministic code-path variables: the record shows both, and the engine's own count.
   */
  @Test
  void currentRecordsTheEngineThreadsAndTheNumericEnvironment() {
    assumeTrue("1".equals(System.getenv("OMP_NUM_THREADS")), "run by the build's surefire");
    assumeTrue(System.getenv("MKL_CBWR") == null, "MKL_CBWR set in the environment");
    Provenance provenance = Provenance.current();
    assertEquals(1, provenance.intraOpThreads());
    assertTrue(provenance.interOpThreads() >= 1);
    assertEquals("1", provenance.numerics().get("OMP_NUM_THREADS"));
    assertEquals("(unset)", provenance.numerics().get("MKL_CBWR"));
    assertFalse(provenance.deterministic());
    JsonNode json = Json.MAPPER.valueToTree(provenance);
    assertEquals(1, json.get("intraOpThreads").asInt());
    assertFalse(json.get("deterministic").asBoolean(true));
    assertTrue(json.get("numerics").has("ONEDNN_MAX_CPU_ISA"), json.toString());
  }
}
