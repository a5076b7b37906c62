package org.certkit.examples;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import org.certkit.data.DatasetFetcher;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.io.Checkpoint;
import org.certkit.net.Architectures;
import org.certkit.net.Network;
import org.certkit.train.SabrTraining;
import org.certkit.train.Trainer;
import org.certkit.train.TrainingConfig;

/** Trains CNN3 with SABR at eps 0.1 from a config record: {@code OUT.ckpt IMAGES [DATA]}. */
public final class TrainWithConfig {

  private TrainWithConfig() {}

  /** Trains one epoch on the first IMAGES training images and saves the checkpoint. */
  public static void main(String[] args) throws Exception {
    Path data = args.length > 2 ? Path.of(args[2]) : DatasetStore.defaultRoot();
    DatasetFetcher.fetch(DatasetName.MNIST, data, System.err::println);
    ImageDataset train = DatasetStore.load(DatasetName.MNIST, Split.TRAIN, data)
        .subset(Integer.parseInt(args[1]));
    TrainingConfig config = TrainingConfig.mnist(SabrTraining.withLambda(0.4), 0.1, 1, 0);
    try (NDManager manager = NDManager.newBaseManager();
        Network network = Architectures.build(Architectures.Spec.of("cnn3"),
            DatasetName.MNIST.inputFormat(), config.initialization(), config.seed(), manager)) {
      new Trainer(config).train(network, train);
      Checkpoint.save(Path.of(args[0]), network, Map.of(), null);
      System.out.println("trained " + network.parameterCount() + " parameters: " + args[0]);
    }
  }
}
