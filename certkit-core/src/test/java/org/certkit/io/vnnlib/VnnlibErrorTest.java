package org.certkit.io.vnnlib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad files: every error names the source, line and column, and what was expected. */
class VnnlibErrorTest {

  /** Three lines: X_0, Y_0 and Y_1; the lines under test start at line 4. */
  private static final String HEADER = VnnlibReaderTest.header(1, 2);

  @TempDir Path dir;

  private static VnnlibFormatException error(String text) {
    return assertThrows(VnnlibFormatException.class, () -> VnnlibReader.parse(text, "p.vnnlib"));
  }

  private static void assertError(String text, int line, int column, String problem) {
    VnnlibFormatException e = error(text);
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(column, e.column(), e.getMessage());
    assertTrue(e.getMessage().startsWith("p.vnnlib:" + line + ":" + column + ": " + problem),
        e.getMessage());
  }

  @Test
  void unclosedParenthesisAtEndOfFile() {
    assertError(HEADER + "(assert (<= X_0 1)", 4, 19, "expected ')' but found end of file");
  }

  @Test
  void unexpectedClosingParenthesis() {
    assertError(HEADER + "(assert (<= X_0 1)))", 4, 20, "unexpected ')'");
  }

  @Test
  void unknownCommand() {
    assertError("; header\n(declare-fun X_0 () Real)", 2, 2, "unknown command 'declare-fun'");
  }

  @Test
  void undeclaredVariable() {
    assertError(HEADER + "(assert (<= X_1 1))", 4, 13, "undeclared variable 'X_1'");
  }

  @Test
  void nonLinearProduct() {
    assertError(HEADER + "(assert\n  (>= (* Y_0   Y_1) 1))", 5, 16, "non-linear product");
  }

  @Test
  void equality() {
    assertError(HEADER + "(assert (= Y_0 1))", 4, 10, "'=' is not supported");
  }

  @Test
  void unknownOperators() {
    assertError(HEADER + "(assert (<= (/ X_0 2) 1))", 4, 14, "unknown operator '/' in a term");
    assertError(HEADER + "(assert (not (<= X_0 2)))", 4, 10, "unknown operator 'not'");
  }

  @Test
  void comparisonOfInputsAndOutputs() {
    assertError(HEADER + "(assert (>= X_0 0)) (assert (<= X_0 Y_0))", 4, 29,
        "the comparison ties inputs and outputs (X_0 and Y_0)");
  }

  @Test
  void comparisonOfSeveralInputs() {
    assertError(VnnlibReaderTest.header(2, 1) + "(assert (<= (+ X_0 X_1) 1))", 4, 9,
        "the comparison ties several inputs (X_0 and X_1)");
  }

  @Test
  void inputWithoutUpperBound() {
    assertError(HEADER + "(assert (>= X_0 0))\n(assert (>= Y_0 Y_1))", 1, 1,
        "X_0 has no upper bound");
  }

  @Test
  void inputWithoutBoundInOneTerm() {
    assertError(HEADER + "(assert (or (and (>= X_0 0) (<= X_0 1)) (>= X_0 2)))", 1, 1,
        "X_0 has no upper bound in term 2 of the disjunctive normal form");
  }

  @Test
  void gapInInputIndices() {
    assertError("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const X_2 Real)",
        3, 1, "X_2 is declared but X_1 is not");
  }

  @Test
  void noOutputs() {
    assertError("(declare-const X_0 Real)\n", 2, 1, "no outputs declared");
  }

  @Test
  void badDeclarations() {
    assertError("(declare-const X_0 Int)", 1, 20, "expected the sort Real but found 'Int'");
    assertError("(declare-const Z_0 Real)", 1, 16, "expected a variable name X_<i> or Y_<j>");
    assertError("(declare-const X_01 Real)", 1, 16, "expected a variable name X_<i> or Y_<j>");
    assertError("(declare-const X_0 Real)\n (declare-const X_0 Real)", 2, 17,
        "X_0 is declared twice (first at 1:1)");
    assertError("(declare-const X_0)", 1, 19, "expected a variable name and its sort but found"
        + " ')'");
  }

  @Test
  void badFormulaShapes() {
    assertError(HEADER + "(assert (<= Y_0 1) (<= Y_0 2))", 4, 20, "expected ')' but found '('");
    assertError(HEADER + "(assert)", 4, 8, "expected a formula but found ')'");
    assertError(HEADER + "(assert Y_0)", 4, 9, "expected a formula such as (<= X_0 1) but"
        + " found 'Y_0'");
    assertError(HEADER + "(assert (<= Y_0))", 4, 16, "expected a term but found ')'");
    assertError(HEADER + "(assert (<= Y_0 1.2.3))", 4, 17, "expected a number or a variable"
        + " but found '1.2.3'");
    assertError(HEADER + "X_0", 4, 1, "expected '(' to start a command but found 'X_0'");
  }

  @Test
  void tooManyTermsInNormalForm() {
    String or = IntStream.range(0, 10).mapToObj(i -> "(>= Y_0 " + i + ")")
        .collect(Collectors.joining(" ", "(or ", ")"));
    // 10^5 terms are allowed; the sixth disjunction would make 10^6.
    String text = HEADER + "(assert (>= X_0 0)) (assert (<= X_0 1))\n(assert (and\n"
        + (or + "\n").repeat(6) + "))";
    assertError(text, 11, 1, "the property has more than 100000 terms");
  }

  @Test
  void readNamesTheFile() throws IOException {
    Path file = dir.resolve("prop.vnnlib");
    Files.writeString(file, HEADER + "(assert (<= X_0 1)");

    VnnlibFormatException e = assertThrows(VnnlibFormatException.class,
        () -> VnnlibReader.read(file));
    assertEquals(file.toString(), e.source());
    assertTrue(e.getMessage().startsWith(file + ":4:19: expected ')' but found end of file"),
        e.getMessage());
  }
}
