package org.certkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.certkit.eval.RobustnessReport;
import org.certkit.experiments.PaperValue;
import org.certkit.io.AtomicFiles;
import org.certkit.io.Json;
import org.certkit.train.EpochMetrics;

/**
 * One static HTML page ({@code OUT/index.html}, images beside it in {@code OUT/assets/}) that
 * gathers what certkit wrote: every experiment ({@code summary.json} and {@code plot.png} under
 * the experiments root), every training run ({@code metrics.json}: configuration, provenance and
 * the curves per epoch), every certification ({@code certify --json} files, read as
 * {@link RobustnessReport}: counts per method and the margin histogram) and every benchmark run
 * of {@code verify --instances} ({@link VerificationResults}: answers and a cactus plot) under
 * the runs root. An experiment's headline numbers stand next to the paper's values it records,
 * each row marked as agreeing or differing. Everything is read from the typed files, nothing
 * from text output; the page needs no server and no network (style and script are inline).
 *
 * <p>Tables sort by a click on a column header. A script checks on load that every image
 * decoded, that every table has the rows it was written with, and that no error was raised, and
 * writes the outcome into the element {@code #self-check} ({@code ok} or the problems), which the
 * browser test reads.
 */
final class ReportWriter {

  /** Marks a page as certkit's, so regenerating never replaces anyone else's file. */
  static final String GENERATOR = "<meta name=\"generator\" content=\"certkit report\">";

  private static final ObjectReader REPORT = Json.MAPPER.readerFor(RobustnessReport.class);
  private static final ObjectReader EPOCH = Json.MAPPER.readerFor(EpochMetrics.class);
  private static final ObjectReader VERIFICATION =
      Json.MAPPER.readerFor(VerificationResults.class);
  private static final ObjectReader PAPER = Json.MAPPER.readerFor(PaperValue.class);

  private ReportWriter() {}

  /** What the page shows of one experiment run. */
  private record ExperimentEntry(Path directory, JsonNode summary) {}

  /** What the page shows of one training run. */
  private record TrainingEntry(Path directory, JsonNode metrics, List<EpochMetrics> history) {}

  /** What the page shows of one certification. */
  private record CertificationEntry(Path file, RobustnessReport report) {}

  /** What the page shows of one benchmark run of {@code verify --instances}. */
  private record VerificationEntry(Path file, VerificationResults results) {}

  /** The counts on the page, for the command's output. */
  record Written(Path page, int experiments, int trainings, int certifications,
      int verifications) {}

  /**
   * Writes the page.
   *
   * @param experiments the root of experiment outputs ({@code OUT/ID/summary.json}), or null
   * @param runs a directory searched for training and certification files, or null
   * @param out the report directory; an {@code index.html} there not written by certkit is
   *     never replaced
   */
  static Written write(Path experiments, Path runs, Path out) throws IOException {
    Path page = out.resolve("index.html");
    if (Files.exists(page) && !Files.readString(page, StandardCharsets.UTF_8)
        .contains(GENERATOR)) {
      throw new IOException(page + " exists and was not written by certkit report; choose"
          + " another --out");
    }
    Path assets = Files.createDirectories(out.resolve("assets"));
    List<ExperimentEntry> exps = experiments == null ? List.of() : experiments(experiments);
    List<TrainingEntry> trainings = new ArrayList<>();
    List<CertificationEntry> certifications = new ArrayList<>();
    List<VerificationEntry> verifications = new ArrayList<>();
    if (runs != null) {
      scanRuns(runs, out, trainings, certifications, verifications);
    }
    StringBuilder html = new StringBuilder();
    head(html);
    html.append("<h1>certkit report</h1>\n<nav><h2>Contents</h2><ul>\n");
    for (ExperimentEntry e : exps) {
      String id = e.summary().path("id").asText();
      html.append("<li><a href=\"#exp-").append(escape(id)).append("\">").append(escape(id))
          .append(": ").append(escape(e.summary().path("title").asText())).append("</a></li>\n");
    }
    for (int i = 0; i < trainings.size(); i++) {
      html.append("<li><a href=\"#train-").append(i).append("\">training: ")
          .append(escape(label(runs, trainings.get(i).directory()))).append("</a></li>\n");
    }
    if (!certifications.isEmpty()) {
      html.append("<li><a href=\"#certifications\">certifications</a></li>\n");
    }
    if (!verifications.isEmpty()) {
      html.append("<li><a href=\"#verifications\">verifications</a></li>\n");
    }
    html.append("</ul></nav>\n");
    for (ExperimentEntry e : exps) {
      experiment(html, e, assets);
    }
    for (int i = 0; i < trainings.size(); i++) {
      training(html, i, trainings.get(i), runs, assets);
    }
    if (!certifications.isEmpty()) {
      certifications(html, certifications, runs, assets);
    }
    if (!verifications.isEmpty()) {
      verifications(html, verifications, runs, assets);
    }
    html.append("<h2>Self-check</h2><pre id=\"self-check\">not run</pre>\n");
    html.append(SCRIPT).append("</body></html>\n");
    AtomicFiles.write(page, html.toString().getBytes(StandardCharsets.UTF_8));
    return new Written(page, exps.size(), trainings.size(), certifications.size(),
        verifications.size());
  }

  private static List<ExperimentEntry> experiments(Path root) throws IOException {
    List<ExperimentEntry> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        Path summary = dir.resolve("summary.json");
        if (Files.isRegularFile(summary)) {
          out.add(new ExperimentEntry(dir, Json.MAPPER.readTree(summary.toFile())));
        }
      }
    }
    return out;
  }

  /**
   * Training runs ({@code metrics.json}), certifications and verification runs under
   * {@code runs}, not in out.
   */
  private static void scanRuns(Path runs, Path out, List<TrainingEntry> trainings,
      List<CertificationEntry> certifications, List<VerificationEntry> verifications)
      throws IOException {
    Path skip = out.toAbsolutePath().normalize();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(runs, 6)) {
      files = walk.filter(f -> f.toString().endsWith(".json") && Files.isRegularFile(f)
          && !f.toAbsolutePath().normalize().startsWith(skip)).sorted().toList();
    }
    for (Path f : files) {
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(f.toFile());
      } catch (IOException e) {
        continue;
      }
      if (f.getFileName().toString().equals("metrics.json") && json.has("training")) {
        List<EpochMetrics> history = new ArrayList<>();
        for (JsonNode epoch : json.path("training").path("history")) {
          history.add(EPOCH.readValue(epoch));
        }
        trainings.add(new TrainingEntry(f.getParent(), json, history));
      } else if (json.has("certifiedAccuracy") && json.has("soundness")) {
        certifications.add(new CertificationEntry(f, REPORT.readValue(json)));
      } else if (json.has("instanceList") && json.has("answers")) {
        verifications.add(new VerificationEntry(f, VERIFICATION.readValue(json)));
      }
    }
  }

  private static void experiment(StringBuilder html, ExperimentEntry e, Path assets)
      throws IOException {
    JsonNode s = e.summary();
    String id = s.path("id").asText();
    html.append("<section id=\"exp-").append(escape(id)).append("\"><h2>").append(escape(id))
        .append(": ").append(escape(s.path("title").asText())).append("</h2>\n<p>Reproduces ")
        .append(escape(s.path("paper_reference").asText())).append(". Took ")
        .append(String.format(Locale.ROOT, "%.1f", s.path("elapsed_seconds").asDouble()))
        .append(" s.</p>\n");
    if (s.has("command")) {
      html.append("<p>Reproduce: <code>").append(escape(s.path("command").asText()))
          .append("</code></p>\n");
    }
    Path plot = e.directory().resolve("plot.png");
    if (Files.isRegularFile(plot)) {
      String name = "experiment-" + id + ".png";
      Files.copy(plot, assets.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      html.append("<img src=\"assets/").append(escape(name)).append("\" alt=\"")
          .append(escape(id)).append(" plot\">\n");
    }
    JsonNode paper = s.path("paper");
    List<String[]> rows = new ArrayList<>();
    List<String> marks = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> fields = s.path("headline").fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode p = paper.path(f.getKey());
      boolean claim = f.getValue().isBoolean();
      if (p.isMissingNode() || !(f.getValue().isNumber() || claim)) {
        rows.add(new String[] {f.getKey(), value(f.getValue()), "", "", ""});
        marks.add(null);
        continue;
      }
      double measured = claim ? (f.getValue().asBoolean() ? 1 : 0) : f.getValue().asDouble();
      PaperValue value = PAPER.readValue(p);
      double stated = value.value();
      boolean agrees = value.agrees(measured);
      String verdict = agrees ? "agrees" : "differs";
      rows.add(new String[] {f.getKey(), value(f.getValue()),
          claim ? Boolean.toString(stated == 1) : number(stated),
          claim ? verdict : number(measured - stated) + " (" + verdict + ")",
          value.source()});
      marks.add(agrees ? "agrees" : "differs");
    }
    table(html, List.of("headline", "measured", "paper", "difference", "paper source"), rows,
        marks);
    html.append("<ul>");
    for (JsonNode note : s.path("notes")) {
      html.append("<li>").append(escape(note.asText())).append("</li>");
    }
    html.append("</ul></section>\n");
  }

  private static void training(StringBuilder html, int index, TrainingEntry t, Path runs,
      Path assets) throws IOException {
    html.append("<section id=\"train-").append(index).append("\"><h2>training: ")
        .append(escape(label(runs, t.directory()))).append("</h2>\n");
    JsonNode config = t.metrics().path("config");
    Path configFile = assets.resolve("train-" + index + "-config.json");
    Json.write(configFile, config);
    html.append("<p>Reproduce: <code>certkit train --config assets/")
        .append(escape(configFile.getFileName().toString())).append(" --out ")
        .append(escape(t.directory().toString())).append("</code> (architecture and data"
            + " options as in the original command)</p>\n");
    if (!t.history().isEmpty()) {
      String name = "train-" + index + ".png";
      Plots.trainingCurves(t.history(), assets.resolve(name));
      html.append("<img src=\"assets/").append(name).append("\" alt=\"training curves\">\n");
    }
    List<String[]> rows = new ArrayList<>();
    for (EpochMetrics m : t.history()) {
      rows.add(new String[] {Integer.toString(m.epoch() + 1), number(m.eps()),
          number(m.loss()), percent(m.trainAccuracy()), percent(m.testAccuracy()),
          percent(m.testCertifiedAccuracy()), number(m.testTightness()), number(m.seconds())});
    }
    table(html, List.of("epoch", "eps", "loss", "train accuracy", "test accuracy",
        "IBP-certified", "tightness", "seconds"), rows);
    List<String[]> settings = new ArrayList<>();
    flatten("", config, settings);
    flatten("provenance.", t.metrics().path("provenance"), settings);
    table(html, List.of("setting", "value"), settings);
    html.append("</section>\n");
  }

  private static void certifications(StringBuilder html, List<CertificationEntry> entries,
      Path runs, Path assets) throws IOException {
    html.append("<section id=\"certifications\"><h2>certifications</h2>\n");
    List<String[]> rows = new ArrayList<>();
    for (CertificationEntry c : entries) {
      RobustnessReport r = c.report();
      List<String> by = new ArrayList<>();
      r.certifiedBy().forEach((method, count) -> by.add(method + " " + count));
      rows.add(new String[] {label(runs, c.file()), number(r.eps()),
          Integer.toString(r.samples()), percent(r.cleanAccuracy()), percent(r.pgdAccuracy()),
          percent(r.certifiedAccuracy()), String.join(", ", by), r.soundness(),
          number(1000 * r.seconds() / Math.max(1, r.samples()))});
    }
    table(html, List.of("file", "eps", "examples", "clean", "PGD", "certified",
        "certified by", "soundness", "ms per example"), rows);
    for (int i = 0; i < entries.size(); i++) {
      CertificationEntry c = entries.get(i);
      if (c.report().margins() != null) {
        String name = "certification-" + i + "-margins.png";
        Plots.marginHistogram(c.report().margins(), label(runs, c.file()),
            assets.resolve(name));
        html.append("<img src=\"assets/").append(name).append("\" alt=\"margin histogram of ")
            .append(escape(label(runs, c.file()))).append("\">\n");
      }
    }
    html.append("</section>\n");
  }

  private static void verifications(StringBuilder html, List<VerificationEntry> entries,
      Path runs, Path assets) throws IOException {
    html.append("<section id=\"verifications\"><h2>verifications</h2>\n<p>Reproduce:"
        + " <code>certkit verify --instances LIST --results FILE</code> with the list and"
        + " results file of each row.</p>\n");
    List<String[]> rows = new ArrayList<>();
    Map<String, List<Double>> solvedTimes = new java.util.LinkedHashMap<>();
    for (VerificationEntry v : entries) {
      VerificationResults r = v.results();
      Map<String, Integer> a = r.answers();
      int sat = a.getOrDefault("sat", 0);
      int unsat = a.getOrDefault("unsat", 0);
      rows.add(new String[] {label(runs, v.file()), r.instanceList(),
          Integer.toString(r.instances().size()), Integer.toString(sat + unsat),
          Integer.toString(sat), Integer.toString(unsat),
          Integer.toString(a.getOrDefault("timeout", 0)),
          Integer.toString(a.getOrDefault("unknown", 0)),
          Integer.toString(a.getOrDefault("error", 0)), number(r.seconds())});
      solvedTimes.put(label(runs, v.file()), r.instances().stream()
          .filter(i -> i.result().equals("sat") || i.result().equals("unsat"))
          .map(VerificationResults.Instance::seconds).sorted().toList());
    }
    table(html, List.of("results", "instance list", "instances", "solved", "sat", "unsat",
        "timeout", "unknown", "error", "seconds"), rows);
    Plots.cactus(solvedTimes, assets.resolve("verification-cactus.png"));
    html.append("<img src=\"assets/verification-cactus.png\" alt=\"solved instances against"
        + " time\">\n");
    for (VerificationEntry v : entries) {
      html.append("<h3>").append(escape(label(runs, v.file()))).append("</h3>\n");
      List<String[]> instances = new ArrayList<>();
      for (VerificationResults.Instance i : v.results().instances()) {
        instances.add(new String[] {i.onnx(), i.vnnlib(), number(i.timeout()), i.result(),
            number(i.seconds()), i.method(), Long.toString(i.subproblems()), i.detail(),
            i.milp()});
      }
      table(html, List.of("onnx", "vnnlib", "timeout", "result", "seconds", "method",
          "subproblems", "detail", "MILP cross-check"), instances);
    }
    html.append("</section>\n");
  }

  /** A sortable table; {@code data-rows} lets the self-check count its rows. */
  private static void table(StringBuilder html, List<String> header, List<String[]> rows) {
    table(html, header, rows, java.util.Collections.nCopies(rows.size(), null));
  }

  /** A sortable table whose rows carry the CSS classes {@code marks} (null for none). */
  private static void table(StringBuilder html, List<String> header, List<String[]> rows,
      List<String> marks) {
    html.append("<table class=\"sortable\" data-rows=\"").append(rows.size())
        .append("\"><thead><tr>");
    for (String h : header) {
      html.append("<th>").append(escape(h)).append("</th>");
    }
    html.append("</tr></thead><tbody>\n");
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      html.append(marks.get(r) == null ? "<tr>" : "<tr class=\"" + marks.get(r) + "\">");
      for (String cell : row) {
        html.append("<td>").append(escape(cell)).append("</td>");
      }
      html.append("</tr>\n");
    }
    html.append("</tbody></table>\n");
  }

  /** Leaves of {@code node} as dotted keys. */
  private static void flatten(String prefix, JsonNode node, List<String[]> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> flatten(prefix + f.getKey() + ".", f.getValue(), out));
    } else if (!node.isMissingNode()) {
      out.add(new String[] {prefix.substring(0, Math.max(0, prefix.length() - 1)),
          value(node)});
    }
  }

  /** {@code path} relative to {@code root}, or its file name when it is the root. */
  private static String label(Path root, Path path) {
    String relative = root == null ? path.toString() : root.relativize(path).toString();
    return relative.isEmpty() ? String.valueOf(path.getFileName()) : relative;
  }

  private static String value(JsonNode v) {
    if (v.isIntegralNumber() || v.isTextual()) {
      return v.asText();
    }
    return v.isNumber() ? number(v.asDouble()) : v.toString();
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4g", v);
  }

  private static String percent(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static void head(StringBuilder html) {
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append(GENERATOR).append("<title>certkit report</title><style>")
        .append("body{font-family:sans-serif;max-width:1500px;margin:1em auto;padding:0 1em}")
        .append("img{max-width:100%;border:1px solid #ddd}")
        .append("table{border-collapse:collapse;margin:.5em 0}")
        .append("td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}")
        .append("th{cursor:pointer;background:#f3f3f3}section{margin-bottom:2em}")
        .append("tr.agrees td{background:#e6f4e6}tr.differs td{background:#fbe3cf}")
        .append("</style></head><body>\n");
  }

  /** Sorting on header clicks, and the self-check of images, tables and errors. */
  private static final String SCRIPT = """
      <script>
      const problems = [];
      window.addEventListener('error', e => problems.push('error: ' + e.message));
      const consoleError = console.error;
      console.error = (...a) => { problems.push('console: ' + a.join(' ')); consoleError(...a); };
      document.querySelectorAll('table.sortable th').forEach(th => {
        th.addEventListener('click', () => {
          const body = th.closest('table').tBodies[0];
          const index = Array.from(th.parentNode.children).indexOf(th);
          const key = r => r.children[index].textContent;
          const up = th.dataset.up !== 'true';
          th.dataset.up = up;
          Array.from(body.rows).sort((a, b) => {
            const x = parseFloat(key(a)), y = parseFloat(key(b));
            const c = isNaN(x) || isNaN(y) ? key(a).localeCompare(key(b)) : x - y;
            return up ? c : -c;
          }).forEach(r => body.appendChild(r));
        });
      });
      window.addEventListener('load', () => {
        document.querySelectorAll('img').forEach(i => {
          if (!i.complete || i.naturalWidth === 0) problems.push('image not loaded: ' + i.src);
        });
        document.querySelectorAll('table[data-rows]').forEach((t, n) => {
          if (t.tBodies[0].rows.length !== Number(t.dataset.rows)) {
            problems.push('table ' + n + ' has ' + t.tBodies[0].rows.length + ' rows');
          }
        });
        document.getElementById('self-check').textContent =
            problems.length === 0 ? 'ok' : problems.join('\\n');
      });
      </script>
      """;
}
