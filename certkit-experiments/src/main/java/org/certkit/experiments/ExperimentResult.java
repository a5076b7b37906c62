package org.certkit.experiments;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an experiment computed: the parameters it ran with, its table, its figure, the headline
 * numbers that summarise it, and notes for the reader.
 *
 * @param parameters the experiment's parameter record, written out as it is (the record is the
 *     single source of what ran)
 * @param table the rows of {@code result.csv}
 * @param figure the panels of {@code plot.png}
 * @param headline named headline numbers (or booleans, strings), in order of importance
 * @param notes sentences explaining the headline numbers, possibly empty
 */
public record ExperimentResult(Record parameters, ResultTable table, Figure figure,
    Map<String, Object> headline, List<String> notes) {

  /** Checks for missing parts; copies the headline keeping its order, and the notes. */
  public ExperimentResult {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(figure, "figure");
    headline = Collections.unmodifiableMap(new LinkedHashMap<>(headline));
    notes = List.copyOf(notes);
  }
}
