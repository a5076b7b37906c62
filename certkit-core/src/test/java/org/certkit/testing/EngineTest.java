package org.certkit.testing;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of tests that compute on the engine: a fresh base manager for every test method, closed
 * after it, so no array outlives its test. A subclass's own {@code @BeforeEach} runs after the
 * manager exists (to seed the engine, say).
 */
public abstract class EngineTest {

  /** The manager of the running test; its arrays and sub-managers close with it. */
  protected NDManager manager;

  @BeforeEach
  final void openManager() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  final void closeManager() {
    manager.close();
  }
}
