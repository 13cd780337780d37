package tutorial.es.banner;

import java.util.List;
import java.util.function.Supplier;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

/** Answers {@code GET /} and {@code HEAD /} with the node's banner, as Elasticsearch 8 does. */
final class RestBannerAction extends BaseRestHandler {
  private final Supplier<ClusterService> clusterService;

  RestBannerAction(Supplier<ClusterService> clusterService) {
    this.clusterService = clusterService;
  }

  @Override
  public String getName() {
    return "tutorial_banner_action";
  }

  @Override
  public List<Route> routes() {
    return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
  }

  @Override
  public boolean canTripCircuitBreaker() {
    return false;
  }

  @Override
  protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
    return channel -> {
      ClusterService service = clusterService.get();
      ClusterState state = service.state();
      Build build = Build.current();
      XContentBuilder body = channel.newBuilder();
      // Elasticsearch pretty-prints this one answer unless ?pretty is given explicitly.
      if (!request.hasParam("pretty")) {
        body.prettyPrint().lfAtEnd();
      }
      body.startObject()
          .field("name", service.getNodeName())
          .field("cluster_name", state.getClusterName().value())
          .field("cluster_uuid", state.metadata().clusterUUID())
          .startObject("version")
          .field("number", build.qualifiedVersion())
          .field("build_flavor", build.flavor())
          .field("build_type", build.type().displayName())
          .field("build_hash", build.hash())
          .field("build_date", build.date())
          .field("build_snapshot", build.isSnapshot())
          .field("lucene_version", IndexVersion.current().luceneVersion().toString())
          .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
          .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
          .endObject()
          .field("tagline", "You Know, for Search")
          .endObject();
      channel.sendResponse(new RestResponse(RestStatus.OK, body));
    };
  }
}
