package org.certkit.cli;

import org.certkit.data.DatasetName;
import org.certkit.net.InputFormat;

/** The network input format of a dataset. */
final class Inputs {

  private Inputs() {}

  static InputFormat of(DatasetName dataset) {
    return new InputFormat(dataset.channels(), dataset.height(), dataset.width(), dataset.mean(),
        dataset.std(), dataset.numClasses());
  }
}
