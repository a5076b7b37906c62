package org.certkit.io.vnnlib;

import static org.certkit.io.vnnlib.VnnlibReaderTest.clause;
import static org.certkit.io.vnnlib.VnnlibReaderTest.constraint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VnnlibWriterTest {

  @TempDir Path dir;

  /** Doubles that are hard to write: thirds, subnormals, extremes, random bit patterns. */
  private static double[] awkwardDoubles(Random random, int count) {
    double[] fixed = {1.0 / 3, -2.0 / 3, 0.1, 0.0, Double.MIN_VALUE, -Double.MIN_VALUE,
        Double.MIN_NORMAL, Math.nextDown(Double.MIN_NORMAL), 1e-310, -4.9e-320, 1e-7,
        Math.ulp(1.0), 1e300, -Double.MAX_VALUE, Double.MAX_VALUE, 123456789.123456789};
    double[] values = new double[count];
    for (int i = 0; i < count; i++) {
      if (i < fixed.length) {
        values[i] = fixed[i];
      } else {
        double d;
        do {
          d = i % 2 == 0 ? Double.longBitsToDouble(random.nextLong()) : random.nextGaussian();
        } while (!Double.isFinite(d) || Double.doubleToLongBits(d) == Double.doubleToLongBits(-0.0));
        values[i] = d;
      }
    }
    return values;
  }

  @Test
  void roundTripGivesTheIdenticalDoubles() throws IOException {
    Random random = new Random(42);
    double[] a = awkwardDoubles(random, 40);
    double[] b = awkwardDoubles(random, 40);
    // Shuffle b so that the pairs differ.
    for (int i = b.length - 1; i > 0; i--) {
      int k = random.nextInt(i + 1);
      double t = b[i];
      b[i] = b[k];
      b[k] = t;
    }
    double[] lower = new double[a.length];
    double[] upper = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      lower[i] = Math.min(a[i], b[i]);
      upper[i] = Math.max(a[i], b[i]);
    }
    lower[0] = upper[0]; // a point interval
    Path file = dir.resolve("robust.vnnlib");

    VnnlibWriter.writeRobustness(file, lower, upper, 4, 2);
    VnnlibProperty property = VnnlibReader.read(file);

    assertEquals(a.length, property.inputs());
    assertEquals(4, property.outputs());
    assertEquals(1, property.disjuncts().size());
    Disjunct disjunct = property.disjuncts().getFirst();
    assertArrayEquals(lower, disjunct.box().lowerOutward());
    assertArrayEquals(upper, disjunct.box().upperOutward());
    assertEquals(List.of(clause(constraint("1 0 -1 0", "0", false)),
        clause(constraint("0 1 -1 0", "0", false)), clause(constraint("0 0 -1 1", "0", false))),
        disjunct.unsafe());
    assertTrue(disjunct.box().contains(lower));
    assertTrue(disjunct.box().contains(upper));
  }

  @Test
  void writesTheCompetitionForm() {
    String text = VnnlibWriter.formatRobustness(new double[] {0.5, -0.25},
        new double[] {0.75, 0.125}, 3, 0);

    assertEquals("""
        ; Local robustness of class 0: unsafe if some other output is at least Y_0.
        (declare-const X_0 Real)
        (declare-const X_1 Real)
        (declare-const Y_0 Real)
        (declare-const Y_1 Real)
        (declare-const Y_2 Real)

        ; Input constraints:
        (assert (<= X_0 0.75))
        (assert (>= X_0 0.5))
        (assert (<= X_1 0.125))
        (assert (>= X_1 -0.25))

        ; Output constraints:
        (assert (or
            (and (>= Y_1 Y_0))
            (and (>= Y_2 Y_0))
        ))
        """, text);
  }

  @Test
  void refusesToOverwrite() throws IOException {
    Path file = dir.resolve("taken.vnnlib");
    Files.writeString(file, "keep");

    assertThrows(FileAlreadyExistsException.class, () -> VnnlibWriter.writeRobustness(file,
        new double[] {0}, new double[] {1}, 2, 0));
    assertEquals("keep", Files.readString(file));
    assertThrows(FileAlreadyExistsException.class, () -> VnnlibCounterexample.write(file,
        new double[] {0}, new double[] {1}));
    assertEquals("keep", Files.readString(file));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count()); // no temporary file left behind
    }
  }

  @Test
  void rejectsBoxesItCannotWrite() {
    assertThrows(IllegalArgumentException.class, () -> VnnlibWriter.formatRobustness(
        new double[] {1}, new double[] {0}, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> VnnlibWriter.formatRobustness(
        new double[] {0}, new double[] {Double.POSITIVE_INFINITY}, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> VnnlibWriter.formatRobustness(
        new double[] {0}, new double[] {1}, 2, 2));
  }

  @Test
  void formatsACounterexample() throws IOException {
    double[] x = {0.5, -1e-5};
    double[] y = {1, 0.1 + 0.2};

    assertEquals("sat\n((X_0 0.5)\n (X_1 -1.0E-5)\n (Y_0 1.0)\n (Y_1 0.30000000000000004))\n",
        VnnlibCounterexample.format(x, y));
    Path file = dir.resolve("result.txt");
    VnnlibCounterexample.write(file, x, y);
    assertEquals(VnnlibCounterexample.format(x, y), Files.readString(file));
    assertThrows(IllegalArgumentException.class, () -> VnnlibCounterexample.format(x,
        new double[] {Double.NaN}));
  }

  @Test
  void aWrittenPropertyJudgesCounterexamples() throws VnnlibFormatException {
    VnnlibProperty property = VnnlibReader.parse(VnnlibWriter.formatRobustness(
        new double[] {0, 0}, new double[] {1, 1}, 3, 1), "robust");

    assertTrue(property.isCounterexample(new double[] {1, 0}, new double[] {0, 1, 1}));
    assertFalse(property.isCounterexample(new double[] {1, 0}, new double[] {0, 1, 0.5}));
    assertFalse(property.isCounterexample(new double[] {Math.nextUp(1.0), 0},
        new double[] {0, 1, 1}));
  }
}
