package org.certkit.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.certkit.io.Json;
import org.certkit.io.Provenance;
import org.certkit.net.Network;

/**
 * The state of a run after an epoch, as {@link TrainingListener#epochFinished} receives it. The
 * arrays are the trainer's own, valid only during the call: read or save them, never keep them.
 *
 * @param config the configuration being trained
 * @param network the network being trained
 * @param state completed epochs, optimiser step and every epoch's metrics so far
 * @param optimizerState the Adam moments as named arrays
 */
public record EpochEnd(TrainingConfig config, Network network, Trainer.ResumeState state,
    Map<String, NDArray> optimizerState) {

  /** The metrics of the epoch that just finished. */
  public EpochMetrics metrics() {
    return state.history().getLast();
  }

  /**
   * What checkpoints and metrics files record: {@code config} (the {@link TrainingConfig} JSON
   * that {@code certkit train --config} reads), {@code provenance} and {@code training} (the
   * {@link Trainer.ResumeState} that {@link Trainer#resume} reads).
   */
  public ObjectNode metadata() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.set("config", Json.MAPPER.valueToTree(config));
    root.set("provenance", Json.MAPPER.valueToTree(Provenance.current()));
    root.set("training", Json.MAPPER.valueToTree(state));
    return root;
  }
}
