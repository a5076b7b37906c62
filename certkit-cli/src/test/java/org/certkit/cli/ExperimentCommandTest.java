package org.certkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import org.certkit.experiments.ExperimentRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExperimentCommandTest {

  @TempDir Path dir;

  /** What a run of the command line printed and returned. */
  record Run(int exitCode, String out, String err) {}

  /** {@code experiment list} prints the registry's ids, one per line, and nothing else. */
  @Test
  void listPrintsOnlyIds() {
    Run run = run("experiment", "list");
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(ExperimentRegistry.ids(), List.of(run.out().strip().split("\n")));
    assertEquals(List.of("s1-fig1", "s1-fig2", "s1-fig3", "s1-fig7"),
        ExperimentRegistry.ids().subList(0, 4));
  }

  /** An unknown id fails naming it and listing the known ids, before writing anything. */
  @Test
  void unknownIdListsKnownIds() {
    Path out = dir.resolve("out");
    Run run = run("experiment", "run", "s9-nothing", "--out", out.toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("s9-nothing"), run.err());
    for (String id : ExperimentRegistry.ids()) {
      assertTrue(run.err().contains(id), run.err());
    }
    assertFalse(run.err().contains("\tat "), run.err());
    assertFalse(Files.exists(out));
  }

  /** An unknown scale fails naming it and the known scales. */
  @Test
  void unknownScaleIsRejected() {
    Run run = run("experiment", "run", "s1-fig7", "--scale", "medium", "--out",
        dir.resolve("out").toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("medium") && run.err().contains("small")
        && run.err().contains("full"), run.err());
  }

  /**
   * The bar of {@code experiment run} follows an experiment's phases: one bar per phase, closed
   * when its count reaches the total or when a count of another unit arrives first.
   */
  @Test
  void workBarOpensOneBarPerPhase() {
    List<String> opened = new ArrayList<>();
    List<ProgressBar> bars = new ArrayList<>();
    try (ExperimentCommand.WorkBar work = new ExperimentCommand.WorkBar((unit, total) -> {
      opened.add(unit + " of " + total);
      bars.add(ProgressOptions.bar(unit, total, true));
      return bars.getLast();
    })) {
      for (int done = 0; done <= 2; done++) {
        work.finished("epochs", done, 2);
      }
      work.finished("images", 0, 3);
      work.finished("images", 1, 3);
      work.finished("networks", 0, 2);
      work.finished("networks", 1, 2);
    }
    assertEquals(List.of("epochs of 2", "images of 3", "networks of 2"), opened);
    assertEquals(List.of(2L, 1L, 1L), bars.stream().map(ProgressBar::getCurrent).toList());
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = CertkitCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
