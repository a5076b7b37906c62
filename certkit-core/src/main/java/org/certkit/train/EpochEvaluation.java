package org.certkit.train;

import ai.djl.ndarray.NDManager;
import org.certkit.net.Network;

/**
 * A measurement a {@link Trainer} takes after every epoch, whose values it records in the epoch's
 * {@link EpochMetrics} (and whose time counts towards the epoch's).
 */
@FunctionalInterface
public interface EpochEvaluation {

  /**
   * Measures the network as it is after an epoch; must not change it.
   *
   * @param eps the run's target epsilon, pixel space
   * @param manager parent for any arrays; whatever the evaluation creates is closed before it
   *     returns
   */
  HeldOutMetrics evaluate(Network network, double eps, NDManager manager);

  /** Measures nothing. */
  EpochEvaluation NONE = (network, eps, manager) -> HeldOutMetrics.NONE;
}
