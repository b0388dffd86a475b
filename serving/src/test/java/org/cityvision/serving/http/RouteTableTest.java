package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.cityvision.serving.ApiRouter;
import org.junit.jupiter.api.Test;

/** The route table's own rules: templates in OpenAPI form, each method and path once. */
class RouteTableTest {
  private static final Handler<RoutingContext> ANSWER = ctx -> ctx.response().end();

  @Test
  void theTableListsEveryAreasRoutesInOrder() {
    ApiRouter api =
        new ApiRouter(
            List.of(
                new ApiArea("a").add(HttpMethod.GET, "/v1/things", Access.ANY_KEY, ANSWER),
                new ApiArea("b")
                    .add(HttpMethod.POST, "/v1/things/{id}/done", Access.ADMIN, ANSWER)
                    .add(HttpMethod.GET, "/*", Access.OPEN, ANSWER)));

    assertEquals(
        List.of("GET /v1/things", "POST /v1/things/{id}/done", "GET /*"),
        api.routes().stream().map(Route::name).toList());
    assertTrue(api.routes().get(1).documented());
    assertFalse(api.routes().get(2).documented(), "a file route is not an API operation");
  }

  @Test
  void aMethodAndPathAddedByTwoAreasIsRefusedNamingTheRoute() {
    List<ApiArea> areas =
        List.of(
            new ApiArea("models").add(HttpMethod.GET, "/v1/models/{name}", Access.ANY_KEY, ANSWER),
            new ApiArea("registry").add(HttpMethod.GET, "/v1/models/{name}", Access.ADMIN, ANSWER));

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ApiRouter(areas));

    assertTrue(
        e.getMessage().contains("GET /v1/models/{name}") && e.getMessage().contains("registry"),
        e.getMessage());
  }

  @Test
  void pathsAreOpenApiTemplates() {
    ApiArea area = new ApiArea("x");
    for (String bad :
        List.of("v1/things", "/v1/things/:id", "/v1//things", "/v1/things/", "/v1/{id")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> area.add(HttpMethod.GET, bad, Access.OPEN, ANSWER),
          bad);
    }
  }
}
