package org.certkit.internal;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The only source of gradient collectors. DJL's PyTorch engine allows one collecting
 * {@link GradientCollector} per JVM, so threads that differentiate at the same time (tasks of
 * Spark's {@code local[N]}, say) would fail; a collector from here holds a JVM-wide lock from its
 * creation to its close, so they take turns instead, and code without gradients runs in parallel.
 */
public final class Gradients {

  private static final ReentrantLock LOCK = new ReentrantLock();

  private Gradients() {}

  /** A new collector; the caller closes it (try-with-resources), which releases the lock. */
  public static GradientCollector collector() {
    LOCK.lock();
    try {
      return new Locked(Engine.getInstance().newGradientCollector());
    } catch (RuntimeException e) {
      LOCK.unlock();
      throw e;
    }
  }

  /** A collector that releases the lock when closed. */
  private record Locked(GradientCollector delegate) implements GradientCollector {
    @Override
    public void backward(NDArray target) {
      delegate.backward(target);
    }

    @Override
    public void zeroGradients() {
      delegate.zeroGradients();
    }

    @Override
    public void close() {
      try {
        delegate.close();
      } finally {
        LOCK.unlock();
      }
    }
  }
}
