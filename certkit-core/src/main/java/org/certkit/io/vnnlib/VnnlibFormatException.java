package org.certkit.io.vnnlib;

import java.io.IOException;

/**
 * A VNNLIB property text that does not hold what the format requires, or uses a part of it
 * certkit does not read. The message names the source, the line and column (both from 1) and
 * what was expected, such as {@code prop.vnnlib:12:8: expected ')' but found end of file}.
 */
public final class VnnlibFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;
  private final int column;
  private final String problem;

  /** Creates the exception with a message naming {@code source}, the position and the problem. */
  public VnnlibFormatException(String source, int line, int column, String problem) {
    super(source + ":" + line + ":" + column + ": " + problem);
    this.source = source;
    this.line = line;
    this.column = column;
    this.problem = problem;
  }

  /** The file, or other name of the text, that is wrong. */
  public String source() {
    return source;
  }

  /** Line of the problem, from 1. */
  public int line() {
    return line;
  }

  /** Column of the problem in {@link #line()}, from 1, counting characters. */
  public int column() {
    return column;
  }

  /** What is wrong, without the source and position. */
  public String problem() {
    return problem;
  }
}
