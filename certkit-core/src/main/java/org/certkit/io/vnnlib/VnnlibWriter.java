package org.certkit.io.vnnlib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.certkit.io.AtomicFiles;

/**
 * The writer of VNNLIB local-robustness properties in the form of VNN-COMP's benchmarks: one
 * {@code (assert (<= X_i u_i))} and one {@code (assert (>= X_i l_i))} per input, then the unsafe
 * outputs {@code (assert (or (and (>= Y_k Y_t)) ...))} over every class {@code k} other than the
 * true class {@code t}. Numbers are written as the exact decimals of the doubles, so that
 * {@link VnnlibReader} reads back the identical box ({@code -0.0} reads back as {@code 0.0}).
 */
public final class VnnlibWriter {

  private VnnlibWriter() {}

  /**
   * Writes the robustness property of class {@code trueClass} on the box to {@code file}, which
   * must not exist yet.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists; it is left as it was
   * @throws IllegalArgumentException as {@link #formatRobustness}
   * @see #formatRobustness(double[], double[], int, int)
   */
  public static void writeRobustness(Path file, double[] lower, double[] upper, int outputs,
      int trueClass) throws IOException {
    String text = formatRobustness(lower, upper, outputs, trueClass);
    AtomicFiles.writeNew(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The robustness property of class {@code trueClass} on the box {@code [lower, upper]}: it is
   * sat if some input of the box has an output {@code Y_k >= Y_t} for some {@code k != t}.
   *
   * @param lower the box's lower corner, flat, finite, not modified
   * @param upper the upper corner, same length, finite, nowhere below {@code lower}, not modified
   * @param outputs number of classes, at least 2
   * @param trueClass the class {@code t} that must win, in {@code [0, outputs)}
   * @throws IllegalArgumentException if a bound is not finite, the corners differ in length or
   *     order, or the class is out of range
   */
  public static String formatRobustness(double[] lower, double[] upper, int outputs,
      int trueClass) {
    if (lower.length != upper.length || lower.length == 0) {
      throw new IllegalArgumentException("box corners need the same, positive length, got "
          + lower.length + " and " + upper.length);
    }
    if (outputs < 2) {
      throw new IllegalArgumentException("robustness needs at least 2 outputs, got " + outputs);
    }
    if (trueClass < 0 || trueClass >= outputs) {
      throw new IllegalArgumentException("true class " + trueClass + " outside [0, " + outputs
          + ")");
    }
    for (int i = 0; i < lower.length; i++) {
      if (!(lower[i] <= upper[i])) {
        throw new IllegalArgumentException("X_" + i + ": lower bound " + lower[i]
            + " not at most upper bound " + upper[i]);
      }
    }
    StringBuilder out = new StringBuilder();
    out.append("; Local robustness of class ").append(trueClass).append(": unsafe if some")
        .append(" other output is at least Y_").append(trueClass).append(".\n");
    for (int i = 0; i < lower.length; i++) {
      out.append("(declare-const X_").append(i).append(" Real)\n");
    }
    for (int j = 0; j < outputs; j++) {
      out.append("(declare-const Y_").append(j).append(" Real)\n");
    }
    out.append("\n; Input constraints:\n");
    for (int i = 0; i < lower.length; i++) {
      out.append("(assert (<= X_").append(i).append(' ')
          .append(ExactDoubles.text(upper[i])).append("))\n");
      out.append("(assert (>= X_").append(i).append(' ')
          .append(ExactDoubles.text(lower[i])).append("))\n");
    }
    out.append("\n; Output constraints:\n(assert (or\n");
    for (int k = 0; k < outputs; k++) {
      if (k != trueClass) {
        out.append("    (and (>= Y_").append(k).append(" Y_").append(trueClass).append("))\n");
      }
    }
    out.append("))\n");
    return out.toString();
  }
}
