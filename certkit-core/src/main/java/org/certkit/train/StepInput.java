package org.certkit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * Everything a {@link TrainingMethod} sees of one training step.
 *
 * @param network the network being trained
 * @param x clean inputs {@code [N, C, H, W]} in [0, 1]
 * @param labels int64 {@code [N]}
 * @param eps the scheduled epsilon of this step, pixel space
 * @param targetEps the final epsilon of the schedule
 * @param progress the share of the run's steps done before this one, in [0, 1) (methods that
 *     change with the run's stage, such as COLT's layer-wise schedule, read it)
 * @param stats training BatchNorm statistics of this step (recorded by the first clean pass)
 * @param manager the step's manager, closed when the step ends
 */
public record StepInput(
    Network network,
    NDArray x,
    NDArray labels,
    double eps,
    double targetEps,
    double progress,
    BatchStatistics stats,
    NDManager manager) {}
