package org.certkit.io.vnnlib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.certkit.io.AtomicFiles;

/**
 * The writer of counterexamples in VNN-COMP's result format: {@code sat} on the first line, then
 * the assignment {@code ((X_0 v) (X_1 v) ... (Y_0 v) ... (Y_k v))}, one variable a line. Values
 * are written with {@link Double#toString(double)}, the shortest decimal that reads back (rounded
 * to nearest) to the same double.
 */
public final class VnnlibCounterexample {

  private VnnlibCounterexample() {}

  /**
   * Writes the counterexample to {@code file}, which must not exist yet.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists; it is left as it was
   * @throws IllegalArgumentException as {@link #format}
   * @see #format(double[], double[])
   */
  public static void write(Path file, double[] input, double[] output) throws IOException {
    AtomicFiles.writeNew(file, format(input, output).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The result text for input {@code input} with network outputs {@code output}.
   *
   * @param input the values of {@code X_0 ...}, finite, at least one, not modified
   * @param output the values of {@code Y_0 ...}, finite, at least one, not modified
   * @throws IllegalArgumentException if an array is empty or holds a value that is not finite
   */
  public static String format(double[] input, double[] output) {
    if (input.length == 0 || output.length == 0) {
      throw new IllegalArgumentException("a counterexample needs inputs and outputs, got "
          + input.length + " and " + output.length);
    }
    StringBuilder out = new StringBuilder("sat\n(");
    append(out, "X_", input);
    out.append("\n ");
    append(out, "Y_", output);
    return out.append(")\n").toString();
  }

  private static void append(StringBuilder out, String prefix, double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException(prefix + i + " is " + values[i]
            + "; counterexample values are finite");
      }
      if (i > 0) {
        out.append("\n ");
      }
      out.append('(').append(prefix).append(i).append(' ').append(values[i]).append(')');
    }
  }
}
