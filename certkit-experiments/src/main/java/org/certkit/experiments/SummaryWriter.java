package org.certkit.experiments;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.certkit.io.Json;
import org.certkit.io.Provenance;

/**
 * Writes an experiment's {@code summary.json} (identity, parameters, headline numbers, run time,
 * provenance) and {@code summary.md} (a Markdown fragment: title, paper reference, parameters,
 * headline numbers, notes, the table and the image link).
 */
public final class SummaryWriter {

  /** Rows of the result table shown in {@code summary.md}; longer tables are cut there. */
  public static final int MARKDOWN_ROWS = 40;

  private SummaryWriter() {}

  /**
   * Writes {@code summary.json} through {@link Json#write}: id, title, paper reference, scale,
   * the command that reproduces the run, seed, parameters, headline, the paper's values of
   * headline keys ({@link Experiment#paperValues}), notes, time, provenance.
   */
  public static void writeJson(Experiment experiment, ExperimentContext context,
      ExperimentResult result, Scale scale, Duration elapsed, Path file) throws IOException {
    Map<String, Object> summary = new LinkedHashMap<>();
    String scaleName = scale.name().toLowerCase(java.util.Locale.ROOT);
    summary.put("id", experiment.id());
    summary.put("title", experiment.title());
    summary.put("paper_reference", experiment.paperReference());
    summary.put("scale", scaleName);
    summary.put("command", "certkit experiment run " + experiment.id() + " --scale " + scaleName
        + " --seed " + context.seed());
    summary.put("seed", context.seed());
    summary.put("parameters", parameters(result));
    summary.put("headline", result.headline());
    summary.put("paper", paperValues(experiment, result, scale));
    summary.put("notes", result.notes());
    summary.put("elapsed_seconds", elapsed.toMillis() / 1000.0);
    summary.put("provenance", Provenance.current());
    Json.write(file, summary);
  }

  /** Writes {@code summary.md}, linking the image by its file name {@code plotName}. */
  public static void writeMarkdown(Experiment experiment, ExperimentContext context,
      ExperimentResult result, Scale scale, String plotName, Path file) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("## ").append(experiment.id()).append(": ").append(experiment.title())
        .append("\n\n");
    md.append("Reproduces ").append(experiment.paperReference()).append(".\n\n");
    md.append("Parameters (seed ").append(context.seed()).append("): ");
    List<String> parts = parameters(result).entrySet().stream()
        .map(e -> "`" + e.getKey() + "` = " + e.getValue()).toList();
    md.append(String.join(", ", parts)).append(".\n\n");
    Map<String, PaperValue> paper = paperValues(experiment, result, scale);
    md.append(paper.isEmpty() ? "| headline | value |\n|---|---|\n"
        : "| headline | value | paper | source |\n|---|---|---|---|\n");
    for (Map.Entry<String, Object> e : result.headline().entrySet()) {
      md.append("| ").append(e.getKey()).append(" | ").append(format(e.getValue()));
      if (!paper.isEmpty()) {
        PaperValue p = paper.get(e.getKey());
        md.append(" | ").append(p == null ? "" : e.getValue() instanceof Boolean
            ? Boolean.toString(p.value() == 1) : format(p.value())).append(" | ")
            .append(p == null ? "" : p.source());
      }
      md.append(" |\n");
    }
    md.append('\n');
    for (String note : result.notes()) {
      md.append("- ").append(note).append('\n');
    }
    if (!result.notes().isEmpty()) {
      md.append('\n');
    }
    ResultTable table = result.table();
    md.append("| ").append(String.join(" | ", table.columns())).append(" |\n|");
    md.append("---|".repeat(table.columns().size())).append('\n');
    for (List<Object> row : table.rows().subList(0, Math.min(MARKDOWN_ROWS,
        table.rows().size()))) {
      md.append("| ").append(String.join(" | ", row.stream().map(SummaryWriter::format)
          .toList())).append(" |\n");
    }
    if (table.rows().size() > MARKDOWN_ROWS) {
      md.append("\n(first ").append(MARKDOWN_ROWS).append(" of ").append(table.rows().size())
          .append(" rows; all in `result.csv`)\n");
    }
    md.append("\n![").append(experiment.title()).append("](").append(plotName).append(")\n");
    Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
  }

  /** The experiment's paper values at scale for the keys its headline has, in its order. */
  static Map<String, PaperValue> paperValues(Experiment experiment, ExperimentResult result,
      Scale scale) {
    Map<String, PaperValue> all = experiment.paperValues(scale);
    Map<String, PaperValue> out = new LinkedHashMap<>();
    for (String key : result.headline().keySet()) {
      if (all.containsKey(key)) {
        out.put(key, all.get(key));
      }
    }
    return out;
  }

  private static Map<String, Object> parameters(ExperimentResult result) {
    return Json.MAPPER.convertValue(result.parameters(),
        new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  /** Four significant digits for doubles, as they are otherwise. */
  private static String format(Object value) {
    if (value instanceof Double d) {
      return d.isNaN() ? "" : String.format(Locale.ROOT, "%.4g", d);
    }
    return String.valueOf(value);
  }
}
