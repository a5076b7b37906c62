package org.certkit.train;

import java.io.IOException;
import java.nio.file.Path;
import org.certkit.io.Checkpoint;

/**
 * Rewrites a checkpoint after every epoch: the network, the optimiser state and
 * {@link EpochEnd#metadata()}, so that {@link Trainer#resume} continues exactly.
 *
 * @param file the checkpoint file
 */
public record CheckpointWriter(Path file) implements TrainingListener {

  @Override
  public void epochFinished(EpochEnd end) throws IOException {
    Checkpoint.save(file, end.network(), end.optimizerState(), end.metadata());
  }
}
