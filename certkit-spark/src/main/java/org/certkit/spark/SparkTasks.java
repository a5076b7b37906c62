package org.certkit.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import scala.Tuple2;

/**
 * One Spark task per item of a list (a verification instance, say), results returned in the
 * list's order: each result is keyed by its item's index, and the merge checks that every index
 * comes back exactly once, whatever tasks were retried.
 */
public final class SparkTasks {

  private SparkTasks() {}

  /** {@code f} applied to every item, one task each; the results in the items' order. */
  public static <T extends Serializable, R extends Serializable> List<R> map(
      JavaSparkContext spark, List<T> items, Function<T, R> f) {
    List<Tuple2<Integer, T>> indexed = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      indexed.add(new Tuple2<>(i, items.get(i)));
    }
    List<Tuple2<Integer, R>> results = new ArrayList<>(spark.parallelize(indexed,
        Math.max(1, indexed.size())).map(t -> new Tuple2<>(t._1(), f.call(t._2()))).collect());
    results.sort(Comparator.comparingInt(Tuple2::_1));
    List<R> out = new ArrayList<>(results.size());
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i)._1() != i) {
        throw new IllegalStateException("result " + results.get(i)._1() + " at position " + i
            + " (a task's result was lost or duplicated)");
      }
      out.add(results.get(i)._2());
    }
    if (out.size() != items.size()) {
      throw new IllegalStateException(out.size() + " results for " + items.size() + " items");
    }
    return out;
  }
}
