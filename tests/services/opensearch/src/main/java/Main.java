import static org.codelibs.opensearch.runner.OpenSearchRunner.newConfigs;

import java.nio.file.Files;
import java.nio.file.Path;
import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Starts one OpenSearch node for the tests and keeps it running until the process is stopped.
 *
 * <p>Environment: OPENSEARCH_PORT (HTTP port, default 9250; the transport port is 100 above it)
 * and OPENSEARCH_HOME (where data and logs go, required, wiped on start so every run begins
 * with an empty cluster).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(System.getenv().getOrDefault("OPENSEARCH_PORT", "9250"));
    String home = System.getenv("OPENSEARCH_HOME");
    if (home == null || home.isEmpty()) {
      System.err.println("OPENSEARCH_HOME is not set: it names the folder for the node's data.");
      System.exit(2);
    }
    Path base = Path.of(home, "node");
    // A left-over folder from a killed run holds a stale node lock and old indices.
    if (Files.exists(base)) {
      try (var paths = Files.walk(base)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }

    OpenSearchRunner runner = new OpenSearchRunner();
    runner.onBuild((number, settings) -> {
      // Tests talk to 127.0.0.1 only; never listen on other interfaces.
      settings.put("network.host", "127.0.0.1");
      settings.put("http.port", port);
      settings.put("transport.port", port + 100);
      settings.put("discovery.type", "single-node");
      // The tests fill the disk of a CI machine with nothing; do not let the disk watermark
      // turn indices read-only on a nearly full runner.
      settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
      settings.put("action.auto_create_index", true);
    }).build(newConfigs()
        .basePath(base.toString())
        .numOfNode(1)
        .baseHttpPort(port - 1)
        .clusterName("tutorial-tests")
        .printOnFailure());

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
        runner.clean();
      } catch (Exception e) {
        System.err.println("Stopping the OpenSearch node failed: " + e);
      }
    }));
    runner.ensureYellow();
    System.out.println("opensearch: listening on http://127.0.0.1:" + port);
    Thread.currentThread().join();
  }
}
