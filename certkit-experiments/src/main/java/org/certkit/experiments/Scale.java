package org.certkit.experiments;

import java.util.Arrays;
import java.util.Locale;

/**
 * How large an experiment runs. Each experiment maps a scale to its own parameter record, kept
 * as data inside the experiment; tests pass smaller records directly instead of a third scale.
 */
public enum Scale {
  /** A few minutes at most on two cores; enough to read the trends and headline numbers. */
  SMALL,
  /** The paper's sample sizes where feasible; may take much longer. */
  FULL;

  /**
   * The scale named {@code text}, case-insensitively ({@code small} or {@code full}).
   *
   * @throws IllegalArgumentException naming the value and the known scales
   */
  public static Scale parse(String text) {
    for (Scale scale : values()) {
      if (scale.name().equalsIgnoreCase(text)) {
        return scale;
      }
    }
    throw new IllegalArgumentException("unknown scale '" + text + "'; known: "
        + Arrays.stream(values()).map(s -> s.name().toLowerCase(Locale.ROOT)).toList());
  }
}
