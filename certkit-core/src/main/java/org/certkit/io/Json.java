package org.certkit.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The JSON mapper of certkit's outputs (metrics, results), and atomic writes of JSON files. */
public final class Json {

  /** Pretty-printing mapper shared by every writer. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /** Writes {@code value} as JSON to {@code file} through a temporary file and a rename. */
  public static void write(Path file, Object value) throws IOException {
    Path absolute = file.toAbsolutePath();
    if (absolute.getParent() != null) {
      Files.createDirectories(absolute.getParent());
    }
    Path temp = Files.createTempFile(absolute.getParent(), absolute.getFileName().toString(),
        ".tmp");
    try {
      MAPPER.writeValue(temp.toFile(), value);
      Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
