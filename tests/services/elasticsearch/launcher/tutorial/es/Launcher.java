package tutorial.es;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

/**
 * Starts one Elasticsearch node in this JVM from the jars Elastic publishes on Maven Central,
 * doing the steps of Elasticsearch's own bootstrap that a plain classpath allows (no security
 * manager, no entitlements, no native controller: the server runs as an unnamed module here).
 *
 * <p>Home: {@code -Des.path.home=DIR} (or ES_HOME), holding {@code config/}, {@code modules/}
 * and {@code data/}, as an Elasticsearch distribution does. Settings, later ones winning: the
 * home's {@code config/elasticsearch.yml}, environment variables whose names are setting names
 * ({@code discovery.type=single-node}, as Elastic's Docker image reads them), then
 * {@code -Ekey=value} arguments. A node built from these jars has no x-pack, so every
 * {@code xpack.*} setting is unknown to it and would stop it: the launcher drops those and names
 * them in its log instead. The JVM's own options (ES_JAVA_OPTS, the heap) are the start
 * script's business: they must be given to {@code java} before this class runs.
 */
public final class Launcher {
  /** Environment variable names that are setting names, as Elastic's Docker entrypoint takes them. */
  private static final Pattern SETTING_NAME = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    String home = System.getProperty("es.path.home", System.getenv("ES_HOME"));
    if (home == null || home.isEmpty()) {
      System.err.println("elasticsearch launcher: no home folder; give -Des.path.home=DIR or ES_HOME"
          + " (the folder with config/ and modules/).");
      System.exit(2);
    }
    Path homeDir = Path.of(home).toAbsolutePath();
    Map<String, String> given = new TreeMap<>();
    System.getenv().forEach((k, v) -> {
      if (SETTING_NAME.matcher(k).matches()) given.put(k, v);
    });
    for (String arg : args) {
      if (!arg.startsWith("-E") || !arg.contains("=")) {
        System.err.println("elasticsearch launcher: unknown argument '" + arg + "'; settings are given as -Ekey=value.");
        System.exit(2);
      }
      String kv = arg.substring(2);
      given.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }

    Settings.Builder input = Settings.builder().put("path.home", homeDir.toString());
    given.forEach(input::put);

    LogConfigurator.registerErrorListener();
    LogConfigurator.configureESLogging();
    Environment prepared = InternalSettingsPreparer.prepareEnvironment(
        input.build(), Map.of(), homeDir.resolve("config"), () -> System.getenv().getOrDefault("HOSTNAME", "node-1"));

    // The yml may carry xpack.* too (Elastic's image writes some): drop them all in one place.
    List<String> dropped = new ArrayList<>();
    Settings.Builder kept = Settings.builder();
    for (String key : prepared.settings().keySet()) {
      if (key.startsWith("xpack.")) {
        dropped.add(key + "=" + prepared.settings().get(key));
      } else {
        kept.copy(key, prepared.settings());
      }
    }
    Environment env = new Environment(kept.build(), prepared.configDir());

    LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
    LogConfigurator.configure(env, true);
    var log = org.apache.logging.log4j.LogManager.getLogger(Launcher.class);
    for (String setting : dropped) {
      log.warn("ignoring [{}]: x-pack is not among the jars this node is built from, so no xpack.* setting exists here"
          + " (the node has no security at all)", setting);
    }
    Files.createDirectories(env.tmpDir());

    // The 4-argument form: the 3-argument one wires Java module exports, and fails on a
    // plain classpath (the server is an unnamed module there).
    PluginsLoader loader = PluginsLoader.createPluginsLoader(
        PluginsLoader.loadModulesBundles(env.modulesDir()), PluginsLoader.loadPluginsBundles(env.pluginsDir()), Map.of(), false);
    Node node = new Node(env, loader);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.prepareForClose();
        node.close();
        node.awaitClose(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("elasticsearch launcher: stopping the node failed: " + e);
      } finally {
        stopped.countDown();
      }
    }, "elasticsearch-shutdown"));
    node.start();
    stopped.await();
  }
}
