package org.certkit.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
    Path temp = temporarySibling(absolute, bytes);
    try {
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

  /**
   * Writes {@code bytes} to {@code file}, which must not exist yet: the content is written to a
   * temporary sibling and then linked into place, so the file appears whole or not at all, and an
   * existing file is never replaced. Creates parent directories as needed.
   *
   * @throws FileAlreadyExistsException if {@code file} exists; it is left as it was
   */
  public static void writeNew(Path file, byte[] bytes) throws IOException {
    Path absolute = file.toAbsolutePath();
    if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite");
    }
    Path temp = temporarySibling(absolute, bytes);
    try {
      try {
        Files.createLink(absolute, temp);
      } catch (FileAlreadyExistsException e) {
        throw e;
      } catch (UnsupportedOperationException | FileSystemException e) {
        // No hard links on this file system: a move without replacing fails if the file exists.
        Files.move(temp, absolute);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * A new temporary file beside {@code absolute} holding {@code bytes}, its parent directories
   * created as needed; the caller moves or links it into place and deletes it.
   */
  private static Path temporarySibling(Path absolute, byte[] bytes) throws IOException {
    Path parent = absolute.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path temp = Files.createTempFile(parent, absolute.getFileName().toString(), ".tmp");
    try {
      Files.write(temp, bytes);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return temp;
  }
}
