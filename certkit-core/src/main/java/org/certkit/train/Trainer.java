package org.certkit.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.certkit.data.ImageDataset;
import org.certkit.internal.Gradients;
import org.certkit.io.Checkpoint;
import org.certkit.io.Json;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * The one training loop of certkit: epochs of shuffled mini-batches, the method's epsilon
 * schedule, the learning-rate schedule, Adam (with the configuration's coupled L2 weight decay)
 * and gradient clipping. A step whose loss or gradient is not finite makes no update and is
 * counted ({@link EpochMetrics#skippedSteps()}); training stops after
 * {@link #MAX_SKIPPED_IN_A_ROW} such steps in a row. Everything else is attached: an
 * {@link EpochEvaluation} whose values go into each epoch's {@link EpochMetrics}, and
 * {@link TrainingListener}s for progress and files ({@link CheckpointWriter},
 * {@link MetricsWriter}).
 *
 * <p>A trainer is immutable; {@link #withEvaluation} and {@link #withListeners} return new ones.
 *
 * <p>Memory: every step runs in its own sub-manager that is closed at the end of the step; the
 * only long-lived arrays are the network's and the optimiser's. Determinism: the shuffle of epoch
 * {@code e} and the engine's random numbers are seeded from {@code (seed, e)}, so a run resumed
 * from the checkpoint of epoch {@code e} continues as the uninterrupted run would.
 */
public final class Trainer {

  /**
   * Steps with a non-finite loss or gradient are skipped (no update, as the loss scalers of
   * mixed-precision training do); this many in a row stop training.
   */
  public static final int MAX_SKIPPED_IN_A_ROW = 5;

  private final TrainingConfig config;
  private final EpochEvaluation evaluation;
  private final List<TrainingListener> listeners;

  /** A trainer for {@code config}, with no evaluation and no listeners. */
  public Trainer(TrainingConfig config) {
    this(config, EpochEvaluation.NONE, List.of());
  }

  private Trainer(TrainingConfig config, EpochEvaluation evaluation,
      List<TrainingListener> listeners) {
    this.config = config;
    this.evaluation = evaluation;
    this.listeners = listeners;
  }

  /** This trainer, measuring {@code newEvaluation} after every epoch instead. */
  public Trainer withEvaluation(EpochEvaluation newEvaluation) {
    return new Trainer(config, newEvaluation, listeners);
  }

  /** This trainer with {@code more} listeners, called after the ones already attached. */
  public Trainer withListeners(TrainingListener... more) {
    List<TrainingListener> all = new ArrayList<>(listeners);
    all.addAll(List.of(more));
    return new Trainer(config, evaluation, List.copyOf(all));
  }

  /**
   * Metadata stored in a checkpoint (under {@code training}) so that training can resume.
   *
   * @param completedEpochs epochs finished
   * @param optimizerStep Adam's step count
   * @param history the metrics of every finished epoch
   */
  public record ResumeState(int completedEpochs, long optimizerStep, List<EpochMetrics> history) {}

  /** Trains a fresh network from epoch 0. */
  public List<EpochMetrics> train(Network network, ImageDataset trainSet) throws IOException {
    return train(network, trainSet, null, new ResumeState(0, 0, List.of()));
  }

  /**
   * Continues training from a checkpoint written by a {@link CheckpointWriter}. Only the
   * checkpoint's {@code training} state is read (not its recorded {@code config}), so checkpoints
   * written before the config's JSON shape changed resume as well.
   *
   * @param saved a checkpoint whose network is the one to train
   */
  public List<EpochMetrics> resume(Checkpoint saved, ImageDataset trainSet) throws IOException {
    JsonNode training = saved.metadata() == null ? null : saved.metadata().get("training");
    if (training == null) {
      throw new IllegalArgumentException("the checkpoint holds no training state to resume");
    }
    ResumeState state = Json.MAPPER.treeToValue(training, ResumeState.class);
    return train(saved.network(), trainSet, saved.extraArrays(), state);
  }

  private List<EpochMetrics> train(Network network, ImageDataset trainSet,
      Map<String, NDArray> optimizerState, ResumeState state) throws IOException {
    List<EpochMetrics> history = new ArrayList<>(state.history());
    network.requireGradients();
    List<Network.NamedArray> parameters = network.parameters();
    List<NDArray> running = runningStatistics(network);
    TrainingMethod method = config.method();
    EpsilonSchedule schedule = config.epsilonSchedule();
    int skippedInARow = 0;
    NDManager base = network.manager().newSubManager();
    try (AdamOptimizer adam = new AdamOptimizer(network, 0.9f, 0.999f, 1e-8f,
        (float) config.weightDecay()); base) {
      if (optimizerState != null) {
        adam.restore(optimizerState, state.optimizerStep());
      }
      for (int epoch = state.completedEpochs(); epoch < config.epochs(); epoch++) {
        long started = System.nanoTime();
        Engine.getInstance().setRandomSeed((int) (config.seed() * 1_000_003L + epoch));
        Random random = new Random(config.seed() * 31 + epoch);
        int[][] batches = trainSet.batches(config.batchSize(), random);
        float lr = (float) config.learningRate().at(epoch);
        for (TrainingListener listener : listeners) {
          listener.epochStarted(epoch, batches.length);
        }
        double lossSum = 0;
        double gradNormSum = 0;
        int skipped = 0;
        long seen = 0;
        long correct = 0;
        long robust = 0;
        boolean robustKnown = false;
        double eps = 0;
        for (int b = 0; b < batches.length; b++) {
          eps = schedule.at(epoch, b, batches.length);
          for (TrainingListener listener : listeners) {
            listener.stepStarted(epoch, b);
          }
          try (NDManager step = base.newSubManager()) {
            NDArray x = trainSet.images(step, batches[b], config.augmentation(), random);
            NDArray y = trainSet.labels(step, batches[b]);
            double progress = (epoch + (double) b / batches.length) / config.epochs();
            StepInput input = new StepInput(network, x, y, eps, config.eps(), progress,
                method.singleConcretePass() ? BatchStatistics.trainingFused()
                    : BatchStatistics.training(), step);
            List<NDArray> runningBefore = running.stream().map(a -> {
              NDArray copy = a.duplicate();
              copy.attach(step);
              return copy;
            }).toList();
            phaseFinished(StepPhase.DATA);
            NDList prepared = method.prepare(input);
            phaseFinished(StepPhase.ATTACK);
            StepLoss result;
            List<NDArray> gradients = new ArrayList<>();
            try (GradientCollector collector = Gradients.collector()) {
              zeroGradients(parameters, step);
              result = method.loss(input, prepared);
              phaseFinished(StepPhase.LOSS);
              collector.backward(result.loss());
            }
            for (Network.NamedArray p : parameters) {
              NDArray g = p.array().getGradient();
              g.attach(step);
              gradients.add(g);
            }
            phaseFinished(StepPhase.BACKWARD);
            double loss = result.loss().getFloat();
            double norm = GradientClipping.norm(gradients);
            String problem = !Double.isFinite(loss) ? "loss " + loss
                : !Double.isFinite(norm) ? "gradient L2 norm " + norm : null;
            if (problem != null) {
              skipped++;
              skippedInARow++;
              for (TrainingListener listener : listeners) {
                listener.stepSkipped(epoch, b, problem, skippedInARow);
              }
              if (skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                throw new IllegalStateException("training diverged: " + problem + " in "
                    + skippedInARow + " steps in a row, the last at epoch " + epoch + ", batch "
                    + b + " (eps " + eps + ", lr " + lr + ")");
              }
              // The step's forward pass may have moved the BatchNorm running statistics.
              for (int i = 0; i < running.size(); i++) {
                runningBefore.get(i).copyTo(running.get(i));
              }
            } else {
              skippedInARow = 0;
              gradNormSum += norm;
              float scale = config.gradientClipNorm() > 0
                  ? GradientClipping.scale(norm, config.gradientClipNorm()) : 1f;
              adam.update(parameters, gradients, lr, scale);
              int size = batches[b].length;
              lossSum += loss * size;
              seen += size;
              correct += org.certkit.loss.Losses.correctCount(result.cleanLogits(), y);
              if (result.robustCorrect().isPresent()) {
                robust += result.robustCorrect().getAsLong();
                robustKnown = true;
              }
            }
            phaseFinished(StepPhase.UPDATE);
          }
          for (TrainingListener listener : listeners) {
            listener.stepFinished(epoch, b, seen == 0 ? Double.NaN : lossSum / seen,
                seen == 0 ? Double.NaN : (double) correct / seen, eps);
          }
        }
        HeldOutMetrics test = evaluation.evaluate(network, config.eps(), base);
        EpochMetrics metrics = new EpochMetrics(epoch, eps, lr, lossSum / seen,
            (double) correct / seen, robustKnown ? (double) robust / seen : Double.NaN,
            test.accuracy(), test.certifiedAccuracy(), test.tightness(),
            gradNormSum / Math.max(1, batches.length - skipped), skipped,
            (System.nanoTime() - started) / 1e9);
        history.add(metrics);
        EpochEnd end = new EpochEnd(config, network,
            new ResumeState(epoch + 1, adam.step(), List.copyOf(history)), adam.state());
        for (TrainingListener listener : listeners) {
          listener.epochFinished(end);
        }
      }
    }
    return history;
  }

  /** The BatchNorm running means and variances, which a forward pass in training updates. */
  private static List<NDArray> runningStatistics(Network network) {
    List<NDArray> out = new ArrayList<>();
    for (var layer : network.layers()) {
      if (layer instanceof org.certkit.net.BatchNorm b) {
        out.add(b.runningMean());
        out.add(b.runningVar());
      }
    }
    return out;
  }

  /** Clears gradients left by an earlier step or by the method's preparation (an attack). */
  private void phaseFinished(StepPhase phase) {
    for (TrainingListener listener : listeners) {
      listener.phaseFinished(phase);
    }
  }

  private static void zeroGradients(List<Network.NamedArray> parameters, NDManager step) {
    for (Network.NamedArray p : parameters) {
      if (p.array().hasGradient()) {
        NDArray g = p.array().getGradient();
        g.attach(step);
        // A fill, not g - g: NaN - NaN is NaN, and a poisoned gradient would stay poisoned.
        g.set(new NDIndex("..."), 0);
      }
    }
  }
}
