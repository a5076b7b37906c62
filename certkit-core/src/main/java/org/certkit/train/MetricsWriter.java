package org.certkit.train;

import java.io.IOException;
import java.nio.file.Path;
import org.certkit.io.Json;

/**
 * Rewrites a JSON file after every epoch with {@link EpochEnd#metadata()}: the configuration,
 * the provenance and all epochs so far.
 *
 * @param file the metrics file, such as {@code metrics.json}
 */
public record MetricsWriter(Path file) implements TrainingListener {

  @Override
  public void epochFinished(EpochEnd end) throws IOException {
    Json.write(file, end.metadata());
  }
}
