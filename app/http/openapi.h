// The OpenAPI 3.1 description of the HTTP API, served at GET /v1/openapi.json. Each
// operation's operationId is RouteName() of the Route that serves it, so tests
// (tests/app/openapi_test.cc) can hold the description to the live router.
#pragma once

#include <string_view>

namespace folio::app {

// The whole document as JSON text; built on the first call, then shared (thread-safe).
std::string_view OpenApiJson();

}  // namespace folio::app
