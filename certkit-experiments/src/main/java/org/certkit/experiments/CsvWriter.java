package org.certkit.experiments;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link ResultTable} as CSV (RFC 4180): a header line, then one line per row. Numbers
 * are written with {@link Double#toString} precision ({@code NaN} as an empty cell); strings are
 * quoted when they contain a comma, quote or line break.
 */
public final class CsvWriter {

  private CsvWriter() {}

  /** Writes {@code table} to {@code file}, creating parent directories. */
  public static void write(ResultTable table, Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write(line(List.copyOf(table.columns())));
      for (List<Object> row : table.rows()) {
        out.write(line(row));
      }
    }
  }

  private static String line(List<?> values) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        line.append(',');
      }
      line.append(cell(values.get(i)));
    }
    return line.append('\n').toString();
  }

  /** The text of one cell. */
  static String cell(Object value) {
    if (value instanceof Double d) {
      return d.isNaN() ? "" : d.toString();
    }
    if (value instanceof Float f) {
      return f.isNaN() ? "" : f.toString();
    }
    String text = value.toString();
    if (text.contains(",") || text.contains("\"") || text.contains("\n")
        || text.contains("\r")) {
      return '"' + text.replace("\"", "\"\"") + '"';
    }
    return text;
  }
}
