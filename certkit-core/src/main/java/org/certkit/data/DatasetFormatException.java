package org.certkit.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data set file that exists but does not hold what its format requires. */
public final class DatasetFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  /** Creates the exception with a message naming {@code file} and the {@code problem}. */
  public DatasetFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
    this.problem = problem;
  }

  /** Same, keeping the low-level exception that revealed the problem. */
  public DatasetFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file that is wrong. */
  public Path file() {
    return file;
  }

  /** What is wrong with {@link #file()}, without the file name. */
  public String problem() {
    return problem;
  }
}
