package org.certkit.net;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No {@code switch} over the sealed {@link Layer} family has a {@code default} branch, so that a
 * new layer type is a compile error in every domain that has not learned it. Scans the main
 * sources of every module.
 */
class LayerSwitchesTest {

  private static final Pattern LAYER_CASE = Pattern.compile(
      "case\\s+(Linear|Conv2d|Relu|BatchNorm|Flatten|Normalize|Add|AvgPool|MaxPool|Sigmoid|Tanh)\\s+\\w+\\s*->");

  @Test
  void noLayerSwitchHasADefault() throws IOException {
    List<Path> sources = new ArrayList<>();
    for (Path module : List.of(Path.of("."), Path.of("../certkit-milp"),
        Path.of("../certkit-experiments"), Path.of("../certkit-cli"))) {
      Path main = module.resolve("src/main/java");
      if (Files.isDirectory(main)) {
        try (Stream<Path> files = Files.walk(main)) {
          files.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
        }
      }
    }
    assertTrue(sources.size() > 50, "the scan found too few sources: " + sources.size());
    int layerSwitches = 0;
    List<String> offenders = new ArrayList<>();
    for (Path file : sources) {
      String text = Files.readString(file);
      for (String block : switchBlocks(text)) {
        if (LAYER_CASE.matcher(block).find()) {
          layerSwitches++;
          if (Pattern.compile("\\bdefault\\s*(->|:)").matcher(outermost(block)).find()) {
            offenders.add(file.toString());
          }
        }
      }
    }
    assertTrue(layerSwitches >= 5, "expected the domains' layer switches, found " + layerSwitches);
    assertTrue(offenders.isEmpty(), "switches over Layer with a default branch: " + offenders);
  }

  /** The brace-delimited bodies of every {@code switch (...) {...}} in {@code text}. */
  private static List<String> switchBlocks(String text) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("switch\\s*\\(").matcher(text);
    while (m.find()) {
      int open = text.indexOf('{', m.end());
      if (open < 0) {
        break;
      }
      int depth = 0;
      for (int i = open; i < text.length(); i++) {
        char ch = text.charAt(i);
        depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
        if (depth == 0) {
          blocks.add(text.substring(open + 1, i));
          break;
        }
      }
    }
    return blocks;
  }

  /** {@code block} without its nested brace blocks, so an inner switch's default is not counted. */
  private static String outermost(String block) {
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (char ch : block.toCharArray()) {
      if (ch == '{') {
        depth++;
      } else if (ch == '}') {
        depth--;
      } else if (depth == 0) {
        out.append(ch);
      }
    }
    return out.toString();
  }
}
