package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.io.Checkpoint;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.CheckpointWriter;
import org.certkit.train.EpochEnd;
import org.certkit.train.EpochMetrics;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;

/**
 * What the experiments that train networks share: loading a dataset's two splits (fetched on
 * first use) and training one freshly initialised network with progress lines in the context's
 * log.
 */
final class DatasetTraining {

  private DatasetTraining() {}

  /**
   * The training and test images an experiment uses.
   *
   * @param train training images
   * @param test test images
   */
  record Splits(ImageDataset train, ImageDataset test) {}

  /**
   * A dataset from the context's data root, fetching it when missing (where it cannot be
   * fetched, the error says where to put its files).
   *
   * @param trainSamples the first this many training images, or 0 for all
   * @param testSamples the first this many test images (all when larger)
   */
  static Splits load(ExperimentContext context, DatasetName dataset, int trainSamples,
      int testSamples) {
    ImageDataset train;
    ImageDataset test;
    try {
      DatasetFetcher.fetch(dataset, context.dataRoot(), context::progress);
      train = DatasetStore.load(dataset, Split.TRAIN, context.dataRoot());
      test = DatasetStore.load(dataset, Split.TEST, context.dataRoot());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (trainSamples > 0) {
      train = train.subset(Math.min(trainSamples, train.size()));
    }
    return new Splits(train, test.subset(Math.min(testSamples, test.size())));
  }

  /**
   * Builds {@code architecture} for {@code dataset} with the configuration's initialisation and
   * seed, and trains it on {@code train}; one progress line per epoch, prefixed by
   * {@code label}.
   *
   * @return the trained network, in a sub-manager of {@code manager}; the caller closes it
   */
  static Network train(TrainingConfig config, Architectures.Spec architecture,
      DatasetName dataset, ImageDataset train, NDManager manager, ExperimentContext context,
      String label) {
    return train(config, architecture, dataset, train, manager, context, label, epochs -> { });
  }

  /**
   * As {@link #train(TrainingConfig, Architectures.Spec, DatasetName, ImageDataset, NDManager,
   * ExperimentContext, String)}, telling {@code epochs} the number of epochs finished after each
   * one, after its progress line.
   */
  static Network train(TrainingConfig config, Architectures.Spec architecture,
      DatasetName dataset, ImageDataset train, NDManager manager, ExperimentContext context,
      String label, IntConsumer epochs) {
    Network network = Architectures.build(architecture, dataset.inputFormat(),
        config.initialization(), config.seed(), manager);
    try {
      new Trainer(config).withListeners(progress(config, context, label, epochs))
          .train(network, train);
    } catch (IOException e) {
      network.close();
      throw new UncheckedIOException(e);
    }
    return network;
  }

  /**
   * A trained network and the metrics of all its epochs.
   *
   * @param network the network, owned by the caller
   * @param history one entry per epoch, those of earlier (resumed) runs included
   */
  record Trained(Network network, List<EpochMetrics> history) {

    /** The summed wall-clock time of the epochs, over every run that trained them. */
    double seconds() {
      return history.stream().mapToDouble(EpochMetrics::seconds).sum();
    }
  }

  /**
   * As {@link #train(TrainingConfig, Architectures.Spec, DatasetName, ImageDataset, NDManager,
   * ExperimentContext, String)}, resumable: after every epoch the network and the optimiser's
   * state are written to {@code checkpoint}, and when that file exists training continues from
   * it, as the uninterrupted run would ({@link Trainer}). The caller removes the file once it has
   * kept the result.
   */
  static Trained trainResumably(TrainingConfig config, Architectures.Spec architecture,
      DatasetName dataset, ImageDataset train, NDManager manager, ExperimentContext context,
      String label, Path checkpoint) {
    Trainer trainer = new Trainer(config).withListeners(
        progress(config, context, label, epochs -> { }), new CheckpointWriter(checkpoint));
    Network network = null;
    try {
      List<EpochMetrics> history;
      if (Files.isRegularFile(checkpoint)) {
        Checkpoint saved = Checkpoint.load(checkpoint, manager);
        network = saved.network();
        context.progress(String.format(Locale.ROOT, "%s: resuming after epoch %s of %s", label,
            saved.metadata() == null ? "?"
                : saved.metadata().path("training").path("completedEpochs").asText("?"),
            checkpoint));
        history = trainer.resume(saved, train);
      } else {
        network = Architectures.build(architecture, dataset.inputFormat(),
            config.initialization(), config.seed(), manager);
        history = trainer.train(network, train);
      }
      return new Trained(network, history);
    } catch (IOException | RuntimeException e) {
      if (network != null) {
        network.close();
      }
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /** One progress line per epoch, prefixed by {@code label}, then {@code epochs} is told. */
  private static TrainingListener progress(TrainingConfig config, ExperimentContext context,
      String label, IntConsumer epochs) {
    return new TrainingListener() {
      @Override
      public void epochFinished(EpochEnd end) {
        EpochMetrics m = end.metrics();
        context.progress(String.format(Locale.ROOT, "%s: epoch %d/%d, loss %.4f, train acc"
            + " %.2f%% (%.1f s)", label, m.epoch() + 1, config.epochs(), m.loss(),
            100 * m.trainAccuracy(), m.seconds()));
        epochs.accept(m.epoch() + 1);
      }
    };
  }

  /** Clean accuracy of {@code network} on all of {@code test}. */
  static double accuracy(Network network, ImageDataset test, NDManager manager) {
    return new RobustnessEvaluator(null, null, 500).evaluate(network, test, test.size(), 0,
        manager, done -> {}).cleanAccuracy();
  }
}
