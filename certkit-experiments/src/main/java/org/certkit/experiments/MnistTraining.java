package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.EpochMetrics;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;

/**
 * What the experiments that train networks on MNIST share: loading the two splits (fetched on
 * first use) and training one freshly initialised network with progress lines in the context's
 * log.
 */
final class MnistTraining {

  private MnistTraining() {}

  /**
   * The training and test images an experiment uses.
   *
   * @param train training images
   * @param test test images
   */
  record Splits(ImageDataset train, ImageDataset test) {}

  /**
   * MNIST from the context's data root, fetching it when missing.
   *
   * @param trainSamples the first this many training images, or 0 for all 60,000
   * @param testSamples the first this many test images (all when larger)
   */
  static Splits load(ExperimentContext context, int trainSamples, int testSamples) {
    ImageDataset train;
    ImageDataset test;
    try {
      DatasetFetcher.fetch(DatasetName.MNIST, context.dataRoot(), context::progress);
      train = DatasetStore.load(DatasetName.MNIST, Split.TRAIN, context.dataRoot());
      test = DatasetStore.load(DatasetName.MNIST, Split.TEST, context.dataRoot());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (trainSamples > 0) {
      train = train.subset(Math.min(trainSamples, train.size()));
    }
    return new Splits(train, test.subset(Math.min(testSamples, test.size())));
  }

  /**
   * Builds {@code architecture} for MNIST with the configuration's initialisation and seed, and
   * trains it; one progress line per epoch, prefixed by {@code label}.
   *
   * @return the trained network, in a sub-manager of {@code manager}; the caller closes it
   */
  static Network train(TrainingConfig config, String architecture, ImageDataset train,
      NDManager manager, ExperimentContext context, String label) {
    Network network = Architectures.build(Architectures.Spec.of(architecture),
        DatasetName.MNIST.inputFormat(), config.initialization(), config.seed(), manager);
    TrainingListener progress = new TrainingListener() {
      @Override
      public void epochFinished(EpochMetrics m) {
        context.progress(String.format(Locale.ROOT, "%s: epoch %d/%d, loss %.4f, train acc"
            + " %.2f%% (%.1f s)", label, m.epoch() + 1, config.epochs(), m.loss(),
            100 * m.trainAccuracy(), m.seconds()));
      }
    };
    try {
      new Trainer(config, progress, null, null, null).train(network, train);
    } catch (IOException e) {
      network.close();
      throw new UncheckedIOException(e);
    }
    return network;
  }
}
