package org.certkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class SparkTasksTest {

  /**
   * Results come back in the items' order, one per item, also when a task fails once and is
   * retried ({@code local[2,2]}).
   */
  @Test
  void resultsKeepTheItemsOrderThroughARetry() {
    try (JavaSparkContext spark = new JavaSparkContext(new SparkConf().setMaster("local[2,2]")
        .setAppName("certkit-test").set("spark.ui.enabled", "false"))) {
      List<Integer> squares = SparkTasks.map(spark, List.of(5, 3, 8, 1, 9), x -> {
        TaskContext task = TaskContext.get();
        if (task.partitionId() == 2 && task.attemptNumber() == 0) {
          throw new IllegalStateException("injected failure");
        }
        return x * x;
      });
      assertEquals(List.of(25, 9, 64, 1, 81), squares);
    }
  }
}
