package org.certkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.certkit.data.FakeMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code certkit report} on real outputs of {@code experiment run}, {@code train},
 * {@code certify --json} and {@code verify --instances}, checked in the page's text and in
 * headless Chromium: every image decodes, every table has its rows and no script error is
 * raised (the page's own self-check, read from the DOM after load), and a screenshot is kept at
 * {@code certkit-cli/target/report-screenshot.png}. Without Chromium the browser part is
 * skipped, except under CI ({@code CI} set), where {@code .ci/run} installs it.
 */
class ReportCommandTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path dir;

  @Test
  void reportGathersExperimentsTrainingAndCertificationAndPassesInABrowser() throws Exception {
    Path data = dir.resolve("data");
    FakeMnist.write(data);
    Path experiments = dir.resolve("experiments");
    Path runs = dir.resolve("runs");
    run("experiment", "run", "s1-fig1", "--out", experiments.toString());
    run("train", "--method", "ibp", "--arch", "fc", "--hidden", "8", "--epochs", "2",
        "--train-samples", "64", "--eval-samples", "16", "--data-dir", data.toString(),
        "--out", runs.resolve("tiny").toString());
    String model = runs.resolve("tiny").resolve("model.ckpt").toString();
    run("certify", "--model", model, "--n", "16", "--data-dir", data.toString(), "--method",
        "auto", "--json", runs.resolve("certify.json").toString());
    Path benchmark = runs.resolve("benchmark");
    run("properties", "--model", model, "--data-dir", data.toString(), "--n", "3", "--all",
        "--eps", "0.02", "--timeout", "10", "--out", benchmark.toString());
    run("verify", "--instances", benchmark.resolve("instances.csv").toString());
    Path out = dir.resolve("report");
    CertkitCommandTest.Run report = run("report", "--experiments", experiments.toString(),
        "--runs", runs.toString(), "--out", out.toString());
    assertTrue(report.out().contains("1 experiments, 1 training runs, 1 certifications,"
        + " 1 verification runs"), report.out());
    String page = Files.readString(out.resolve("index.html"), StandardCharsets.UTF_8);
    assertTrue(page.contains("id=\"exp-s1-fig1\"") && page.contains("certkit experiment run"
        + " s1-fig1 --scale small"), "experiment section with its command");
    assertTrue(page.contains("assets/train-0.png") && page.contains("assets/experiment-s1-fig1"
        + ".png"), "plots copied and drawn");
    assertTrue(page.contains("<td>certify.json</td>"), "certification row");
    assertTrue(page.contains("assets/certification-0-margins.png"), "margin histogram");
    assertTrue(page.contains("<td>benchmark/results.json</td>")
        && page.contains("assets/verification-cactus.png"), "verification run and cactus plot");
    // s1-fig1's headline stands next to the paper's values, each row marked.
    assertTrue(page.contains("<tr class=\"agrees\">"), "a headline that agrees with the paper");

    // A page not written by certkit is never replaced.
    Path foreign = Files.createDirectories(dir.resolve("foreign"));
    Files.writeString(foreign.resolve("index.html"), "<html>mine</html>");
    CertkitCommandTest.Run refused = CertkitCommandTest.run("report", "--experiments",
        experiments.toString(), "--out", foreign.toString());
    assertNotEquals(0, refused.exitCode());
    assertEquals("<html>mine</html>", Files.readString(foreign.resolve("index.html")));

    boolean ci = System.getenv("CI") != null;
    assumeTrue(ci || Files.isExecutable(CHROMIUM), "Chromium is not installed");
    String dom = chromium(out, "--dump-dom", out.resolve("index.html"));
    int start = dom.indexOf("<pre id=\"self-check\">");
    assertTrue(start >= 0, "self-check element missing from the DOM");
    String check = dom.substring(start, dom.indexOf("</pre>", start));
    assertTrue(check.endsWith(">ok"), "the page's self-check: " + check);
    Path screenshot = Path.of("target", "report-screenshot.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    chromium(out, "--screenshot=" + screenshot, out.resolve("index.html"));
    assertTrue(Files.size(screenshot) > 10_000, "screenshot " + screenshot);
  }

  private static CertkitCommandTest.Run run(String... args) {
    CertkitCommandTest.Run run = CertkitCommandTest.run(args);
    assertEquals(0, run.exitCode(), String.join(" ", args) + ": " + run);
    return run;
  }

  /** Runs headless Chromium on {@code page} with {@code action}; returns what it printed. */
  private String chromium(Path work, String action, Path page) throws IOException,
      InterruptedException {
    List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
        "--window-size=1400,5200", "--virtual-time-budget=5000", action,
        page.toUri().toString()));
    Process process = new ProcessBuilder(command).directory(work.toFile())
        .redirectError(dir.resolve("chromium.err").toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "Chromium did not finish");
    assertEquals(0, process.exitValue(), "Chromium failed: "
        + Files.readString(dir.resolve("chromium.err")));
    assertFalse(out.isEmpty() && action.equals("--dump-dom"), "empty DOM");
    return out;
  }
}
