package org.certkit.io.vnnlib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.certkit.io.ModelFile;
import org.certkit.net.Network;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/**
 * The benchmark kept in {@code benchmarks/vnn/certkit-v1} reads as its README says: every
 * instance's network and (gzipped) property exist and fit each other, each property is one box
 * no wider than twice its radius with the nine clauses {@code Y_k >= Y_t} of one class
 * {@code t}; the lists of the single networks split the whole list.
 */
class CommittedBenchmarkTest extends EngineTest {

  private static final Path BENCHMARK = Path.of("..", "benchmarks", "vnn", "certkit-v1");

  @Test
  void everyInstanceReadsAndFitsItsNetwork() throws Exception {
    List<String> lines = Files.readAllLines(BENCHMARK.resolve("instances.csv"));
    assertEquals(105, lines.size());
    Map<String, Network> networks = new HashMap<>();
    for (String line : lines) {
      String[] f = line.split(",");
      Network net = networks.computeIfAbsent(f[0], onnx -> {
        try {
          return ModelFile.load(BENCHMARK.resolve(onnx), manager);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      VnnlibProperty property = VnnlibReader.read(BENCHMARK.resolve(f[1]));
      assertEquals(net.inputShape().size(), property.inputs(), line);
      assertEquals(10, property.outputs(), line);
      assertEquals(1, property.disjuncts().size(), line);
      String radius = f[1].replaceAll(".*_eps", "").replace(".vnnlib.gz", "");
      BigDecimal eps = radius.contains("_")
          ? new BigDecimal(radius.split("_")[0]).divide(new BigDecimal(radius.split("_")[1]),
              java.math.MathContext.DECIMAL64)
          : new BigDecimal(radius);
      InputBox box = property.disjuncts().getFirst().box();
      BigDecimal allowed = eps.multiply(BigDecimal.TWO).add(new BigDecimal("1e-6"));
      for (int i = 0; i < box.dimension(); i++) {
        BigDecimal width = box.upper().get(i).subtract(box.lower().get(i));
        assertTrue(width.signum() >= 0 && width.compareTo(allowed) <= 0, line + " input " + i);
      }
      List<OutputClause> clauses = property.disjuncts().getFirst().unsafe();
      assertEquals(9, clauses.size(), line);
      TreeSet<Integer> others = new TreeSet<>();
      TreeSet<Integer> targets = new TreeSet<>();
      for (OutputClause clause : clauses) {
        assertEquals(1, clause.constraints().size(), line);
        OutputConstraint c = clause.constraints().getFirst();
        assertEquals(0, c.offset().signum(), line);
        for (int k = 0; k < 10; k++) {
          int sign = c.coefficients().get(k).signum();
          if (sign > 0) {
            others.add(k);
          } else if (sign < 0) {
            targets.add(k);
          }
        }
      }
      assertEquals(1, targets.size(), line);
      assertEquals(9, others.size(), line);
      assertTrue(!others.contains(targets.first()), line);
    }
    assertEquals(4, networks.size());
    // The per-network lists split the whole list in its order.
    List<String> parts = new java.util.ArrayList<>();
    for (String net : List.of("256x2", "256x4", "256x6", "cnn4")) {
      parts.addAll(Files.readAllLines(BENCHMARK.resolve("instances-" + net + ".csv")));
    }
    assertEquals(lines, parts);
  }
}
