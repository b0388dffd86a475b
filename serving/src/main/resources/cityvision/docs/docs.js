// Swagger UI over this server's own OpenAPI document. "Authorize" takes an API key (bearer);
// no validator badge, so the page makes no request outside this server.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
});
