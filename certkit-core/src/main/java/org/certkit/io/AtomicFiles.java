package org.certkit.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Whole-file writes that never leave a half-written file behind. */
public final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes {@code bytes} to a temporary sibling of {@code file} and renames it into place
   * (atomically where the file system can), creating parent directories as needed.
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path parent = absolute.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path temp = Files.createTempFile(parent, absolute.getFileName().toString(), ".tmp");
    try {
      Files.write(temp, bytes);
      try {
        Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
