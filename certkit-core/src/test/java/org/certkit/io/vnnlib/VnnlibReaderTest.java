package org.certkit.io.vnnlib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VnnlibReaderTest {

  /** A property in the form of VNN-COMP's mnist_fc benchmark: 4 inputs, 3 classes, label 1. */
  private static final String MNIST_STYLE = """
      ; Mnist property with label: 1.
      (declare-const X_0 Real)
      (declare-const X_1 Real)
      (declare-const X_2 Real)
      (declare-const X_3 Real)

      (declare-const Y_0 Real)
      (declare-const Y_1 Real)
      (declare-const Y_2 Real)

      ; Input constraints:
      (assert (<= X_0 0.25))
      (assert (>= X_0 0.125))
      (assert (<= X_1 1e-5))
      (assert (>= X_1 -0.5))
      (assert (<= X_2 0))
      (assert (>= X_2 (- 0.5))) ; SMT-LIB negation
      (assert (<= X_3 2.5E-1))
      (assert (<= 0.1 X_3))

      ; Output constraints:
      (assert (or
          (and (>= Y_0 Y_1))
          (and (>= Y_2 Y_1))
      ))
      """;

  /** The ACAS Xu form: one top-level or of boxes, each with its own output atoms. */
  private static final String ACAS_STYLE = """
      (declare-const X_0 Real)
      (declare-const X_1 Real)
      (declare-const Y_0 Real)
      (declare-const Y_1 Real)
      (declare-const Y_2 Real)
      (assert (or
          (and (>= X_0 -0.3) (<= X_0 -0.1) (>= X_1 0.0) (<= X_1 0.2) (<= Y_0 Y_1) (<= Y_0 Y_2))
          (and (>= X_0 0.1) (<= X_0 0.3) (>= X_1 0) (<= X_1 0.2)
               (>= (+ Y_0 (* 2 Y_1)) 3.5))
      ))
      """;

  @Test
  void readsGzippedFilesAsVnnCompShipsThem(@TempDir Path dir) throws IOException {
    Path plain = dir.resolve("p.vnnlib");
    Files.writeString(plain, MNIST_STYLE);
    Path zipped = dir.resolve("p.vnnlib.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(zipped))) {
      out.write(MNIST_STYLE.getBytes(StandardCharsets.UTF_8));
    }
    VnnlibProperty expected = VnnlibReader.parse(MNIST_STYLE, "text");
    assertEquals(expected, VnnlibReader.read(plain));
    assertEquals(expected, VnnlibReader.read(zipped));
    byte[] truncated = Arrays.copyOf(Files.readAllBytes(zipped), 12);
    Path broken = dir.resolve("broken.vnnlib.gz");
    Files.write(broken, truncated);
    assertThrows(IOException.class, () -> VnnlibReader.read(broken));
  }

  @Test
  void readsTheCompetitionFormOfRobustness() throws VnnlibFormatException {
    VnnlibProperty property = VnnlibReader.parse(MNIST_STYLE, "mnist.vnnlib");

    assertEquals(4, property.inputs());
    assertEquals(3, property.outputs());
    assertEquals(1, property.disjuncts().size());
    Disjunct disjunct = property.disjuncts().getFirst();
    assertEquals(box("0.125 -0.5 -0.5 0.1", "0.25 0.00001 0 0.25"), disjunct.box());
    assertEquals(List.of(clause(constraint("1 -1 0", "0", false)),
        clause(constraint("0 -1 1", "0", false))), disjunct.unsafe());
  }

  @Test
  void readsTheAcasXuFormAsTwoDisjuncts() throws VnnlibFormatException {
    VnnlibProperty property = VnnlibReader.parse(ACAS_STYLE, "acas.vnnlib");

    assertEquals(2, property.disjuncts().size());
    Disjunct first = property.disjuncts().get(0);
    Disjunct second = property.disjuncts().get(1);
    assertEquals(box("-0.3 0", "-0.1 0.2"), first.box());
    assertEquals(List.of(clause(constraint("-1 1 0", "0", false),
        constraint("-1 0 1", "0", false))), first.unsafe());
    assertEquals(box("0.1 0", "0.3 0.2"), second.box());
    assertEquals(List.of(clause(constraint("1 2 0", "-3.5", false))), second.unsafe());
  }

  /**
   * {@code (and (or A B) (or c d))} with boxes A, B and output atoms c, d has the four terms
   * A c, A d, B c, B d: two disjuncts (one per box) of two clauses each.
   */
  @Test
  void expandsAProductOfDisjunctionsAndGroupsEqualBoxes() throws VnnlibFormatException {
    String text = header(1, 2) + """
        (assert (and
            (or (and (>= X_0 0) (<= X_0 1)) (and (>= X_0 2) (<= X_0 3)))
            (or (>= Y_0 1) (< Y_1 2))))
        """;
    VnnlibProperty property = VnnlibReader.parse(text, "t");

    List<OutputClause> expected = List.of(clause(constraint("1 0", "-1", false)),
        clause(constraint("0 -1", "2", true)));
    assertEquals(2, property.disjuncts().size());
    assertEquals(box("0", "1"), property.disjuncts().get(0).box());
    assertEquals(box("2", "3"), property.disjuncts().get(1).box());
    assertEquals(expected, property.disjuncts().get(0).unsafe());
    assertEquals(expected, property.disjuncts().get(1).unsafe());
  }

  /** {@code (or (and a (or b c)) d)} is a b, a c, d; a shared box written with other scales. */
  @Test
  void expandsNestedFormulasInOrder() throws VnnlibFormatException {
    String text = header(1, 2) + """
        (assert (>= X_0 0.5))
        (assert (<= X_0 1.50))
        (assert (or (and (>= Y_0 1) (or (>= Y_1 2) (>= Y_1 3))) (>= Y_0 4)))
        (assert (<= X_0 1.5000)) ; repeated bound, other scale
        """;
    VnnlibProperty property = VnnlibReader.parse(text, "t");

    assertEquals(1, property.disjuncts().size());
    assertEquals(box("0.50", "1.5"), property.disjuncts().getFirst().box());
    assertEquals(List.of(
        clause(constraint("1 0", "-1", false), constraint("0 1", "-2", false)),
        clause(constraint("1 0", "-1", false), constraint("0 1", "-3", false)),
        clause(constraint("1 0", "-4", false))), property.disjuncts().getFirst().unsafe());
  }

  @Test
  void evaluatesLinearTermsExactly() throws VnnlibFormatException {
    String text = header(2, 3) + """
        (assert (and (<= (* 2 X_0) 1) (>= (* X_0 -4) -8) (>= X_0 -3)
                     (<= (- X_1) 3) (<= X_1 (+ 1 2.5e+1))))
        (assert (< (- Y_0 Y_1 (* 0.5 Y_2) -1) (* 3 (+ Y_2 (- 0.25)))))
        """;
    Disjunct disjunct = VnnlibReader.parse(text, "t").disjuncts().getFirst();

    // 2 X_0 <= 1 is X_0 <= 0.5 and -4 X_0 >= -8 is X_0 <= 2: the tighter bound wins.
    assertEquals(box("-3 -3", "0.5 26"), disjunct.box());
    // Y_0 - Y_1 - Y_2 / 2 + 1 < 3 Y_2 - 0.75  is  -Y_0 + Y_1 + 3.5 Y_2 - 1.75 > 0.
    assertEquals(List.of(clause(constraint("-1 1 3.5", "-1.75", true))), disjunct.unsafe());
  }

  @Test
  void dropsTermsThatCannotHold() throws VnnlibFormatException {
    String text = header(1, 1) + """
        (assert (or (and (>= X_0 0) (<= X_0 1) (>= Y_0 1))
                    (and (>= X_0 2) (<= X_0 1) (>= Y_0 2))
                    (and (>= X_0 0) (<= X_0 1) (<= 1 0))))
        """;
    VnnlibProperty property = VnnlibReader.parse(text, "t");

    assertEquals(1, property.disjuncts().size());
    assertEquals(List.of(clause(constraint("1", "-1", false))),
        property.disjuncts().getFirst().unsafe());
  }

  @Test
  void checksCounterexamplesAgainstTheExactRegion() throws VnnlibFormatException {
    VnnlibProperty property = VnnlibReader.parse(MNIST_STYLE, "mnist.vnnlib");
    double[] inside = {0.125, 0, -0.5, 0.25};

    assertTrue(property.isCounterexample(inside, new double[] {1, 1, 0}));
    assertTrue(property.isCounterexample(inside, new double[] {0, 1, 1}));
    assertFalse(property.isCounterexample(inside, new double[] {0, 1, 0.5}));
    // 0.1 as a double is above the decimal 0.1; the double just below it is outside.
    assertTrue(property.isCounterexample(new double[] {0.125, 0, -0.5, 0.1}, new double[] {1,
        1, 0}));
    assertFalse(property.isCounterexample(new double[] {0.125, 0, -0.5, Math.nextDown(0.1)},
        new double[] {1, 1, 0}));
  }

  static String header(int inputs, int outputs) {
    return Stream.concat(
        Stream.iterate(0, i -> i + 1).limit(inputs).map(i -> "(declare-const X_" + i + " Real)"),
        Stream.iterate(0, j -> j + 1).limit(outputs).map(j -> "(declare-const Y_" + j + " Real)"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  static InputBox box(String lower, String upper) {
    return new InputBox(decimals(lower), decimals(upper));
  }

  static OutputConstraint constraint(String coefficients, String offset, boolean strict) {
    return new OutputConstraint(decimals(coefficients), new BigDecimal(offset), strict);
  }

  static OutputClause clause(OutputConstraint... constraints) {
    return new OutputClause(List.of(constraints));
  }

  private static List<BigDecimal> decimals(String numbers) {
    return Arrays.stream(numbers.split(" ")).map(BigDecimal::new).toList();
  }
}
