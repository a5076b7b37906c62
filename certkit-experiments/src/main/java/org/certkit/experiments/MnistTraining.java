package org.certkit.experiments;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.EpochMetrics;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;
import org.certkit.train.TrainingListener;

/**
 * What the experiments on trained MNIST networks share: loading the data (fetching it when
 * missing) and training a named architecture with the {@link Trainer}, logging one line per
 * epoch. Nothing is cached: every run trains afresh from its seed.
 */
final class MnistTraining {

  /**
   * The training and test sets.
   *
   * @param train training images (possibly a prefix)
   * @param test test images
   */
  record Data(ImageDataset train, ImageDataset test) {}

  private MnistTraining() {}

  /**
   * MNIST from the context's data root, fetched first when missing.
   *
   * @param trainSamples use the first this many training images, or all for 0
   */
  static Data load(ExperimentContext context, int trainSamples) {
    try {
      DatasetFetcher.fetch(DatasetName.MNIST, context.dataRoot(), context::progress);
      ImageDataset train = DatasetStore.load(DatasetName.MNIST, Split.TRAIN, context.dataRoot());
      ImageDataset test = DatasetStore.load(DatasetName.MNIST, Split.TEST, context.dataRoot());
      if (trainSamples > 0) {
        train = train.subset(Math.min(trainSamples, train.size()));
      }
      return new Data(train, test);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A fresh network of {@code architecture}, initialised as {@code config} says and trained on
   * {@code train}; progress lines start with {@code label}.
   *
   * @param manager parent of the network's manager; the caller closes the network
   */
  static Network train(String architecture, TrainingConfig config, ImageDataset train,
      NDManager manager, ExperimentContext context, String label) {
    Network network = Architectures.build(Architectures.Spec.of(architecture),
        DatasetName.MNIST.inputFormat(), config.initialization(), config.seed(), manager);
    TrainingListener progress = new TrainingListener() {
      @Override
      public void epochFinished(EpochMetrics m) {
        context.progress(String.format("%s: epoch %d/%d, loss %.4f, train acc %.2f%% (%.1f s)",
            label, m.epoch() + 1, config.epochs(), m.loss(), 100 * m.trainAccuracy(),
            m.seconds()));
      }
    };
    try {
      new Trainer(config, progress, null, null, null).train(network, train);
    } catch (IOException e) {
      network.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    return network;
  }

  /** Clean accuracy of {@code network} on all of {@code test}. */
  static double accuracy(Network network, ImageDataset test, NDManager manager) {
    return new RobustnessEvaluator(null, false, 500).evaluate(network, test, test.size(), 0,
        manager, done -> {}).cleanAccuracy();
  }
}
