package org.certkit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpectedBoundsFailureExperimentTest {

  /**
   * For n = 1, 2, 3 both readings of appendix E: the n = 1 numbers of the paper exactly
   * (expected [-10, 19990], IBP [-10, 0], W_M / W_IBP = 2000); for A1 = 1000 ones the expected
   * bounds 9990 n -/+ 10000 n^2 and the true range [-10 n (1000 n - 999), 0] from MILP and
   * corners; for A1 = 1000 I the paper's printed formulas for every n.
   */
  @Test
  void reproducesTheAppendixNumbers(@TempDir Path dir) throws Exception {
    ExpectedBoundsFailureExperiment experiment = new ExpectedBoundsFailureExperiment();
    try (NDManager manager = NDManager.newBaseManager()) {
      ExperimentContext context = ExperimentFiles.context(dir, manager, new ArrayList<>());
      ExperimentResult result = experiment.run(new ExpectedBoundsFailureExperiment.Parameters(
          List.of(1, 2, 3), 10, 10), context);
      JsonNode summary = ExperimentFiles.writeAndCheck(experiment, context, result, List.of(
          "n", "a1", "expected_lower", "expected_upper", "expected_clean_lower",
          "expected_clean_upper", "ibp_lower", "ibp_upper", "milp_lower", "milp_upper",
          "milp_optimal", "corners_lower", "corners_upper", "true_lower", "true_upper",
          "algebra_expected_lower", "algebra_expected_upper", "paper_expected_lower",
          "paper_expected_upper", "paper_ibp_lower", "paper_ibp_upper", "width_expected",
          "width_ibp", "width_expected_over_ibp", "gamma_expected", "gamma_expected_clean",
          "milp_seconds"));
      ExperimentFiles.assertAgreesWithPaper(summary, List.of(
          "check_n1_expected_is_paper_minus10_19990", "check_n1_ibp_is_paper_minus10_0",
          "width_expected_over_ibp_n1"));
      JsonNode headline = summary.get("headline");
      assertTrue(headline.get("check_n1_expected_is_paper_minus10_19990").asBoolean());
      assertTrue(headline.get("check_n1_ibp_is_paper_minus10_0").asBoolean());
      assertTrue(headline.get("check_all_n_expected_ibp_milp_corners_match_closed_forms")
          .asBoolean());
      assertTrue(headline.get("check_expected_bounds_contain_true_range_all_n").asBoolean());
      assertEquals(2000, headline.get("width_expected_over_ibp_n1").asDouble(), 0);
      assertEquals(6, result.table().rows().size());
      for (List<Object> row : result.table().rows()) {
        int n = ((Number) row.get(0)).intValue();
        boolean identity = row.get(1).equals("1000 I");
        double fanIn = identity ? 1 : n;
        assertEquals(9990.0 * n - 10000.0 * n * fanIn, value(row, 2), 0, row.toString());
        assertEquals(9990.0 * n + 10000.0 * n * fanIn, value(row, 3), 0, row.toString());
        assertEquals(-10.0 * n * (1000 * fanIn - 999), value(row, 6), 0, row.toString());
        assertEquals(-10.0 * n * (1000 * fanIn - 999), value(row, 11), 0, row.toString());
        assertEquals(0, value(row, 12), 0);
        assertEquals("yes", row.get(10));
        if (identity) {
          // The printed formulas are those of A1 = 1000 I.
          assertEquals(value(row, 17), value(row, 2), 0);
          assertEquals(value(row, 18), value(row, 3), 0);
          assertEquals(value(row, 19), value(row, 6), 0);
        }
      }
    }
  }

  private static double value(List<Object> row, int column) {
    return ((Number) row.get(column)).doubleValue();
  }
}
