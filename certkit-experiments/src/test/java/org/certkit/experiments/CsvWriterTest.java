package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvWriterTest {

  @TempDir Path dir;

  /** RFC 4180 quoting, full double precision, NaN as an empty cell. */
  @Test
  void writesHeaderRowsQuotingAndBlanks() throws IOException {
    ResultTable table = new ResultTable(List.of("name", "value", "note"), List.of(
        List.of("plain", 0.1 + 0.2, 3), List.of("a,b", Double.NaN, "say \"hi\"")));
    Path file = dir.resolve("sub/t.csv");
    CsvWriter.write(table, file);
    assertEquals(List.of("name,value,note", "plain,0.30000000000000004,3",
        "\"a,b\",,\"say \"\"hi\"\"\""), Files.readAllLines(file));
  }

  @Test
  void tableRejectsRaggedRows() {
    assertThrows(IllegalArgumentException.class,
        () -> new ResultTable(List.of("a", "b"), List.of(List.of(1))));
    assertThrows(IllegalArgumentException.class,
        () -> new ResultTable(List.of("a", "a"), List.of()));
  }
}
