package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiJSON is the OpenAPI 3.1 document of every route in routes.go. It is edited by hand and
// kept honest by the HTTP tests, which validate every response they get against it; a route
// added here must be added there too (TestOpenAPICoversEveryRoute).
//
//go:embed openapi.json
var openapiJSON []byte

// openapi serves the OpenAPI document; it needs no token.
func (s *server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapiJSON)
}

// RoutesOf lists the method and path of every route served by a handler that NewHandler built,
// with path parameters in gin's syntax (/users/:userExtId); it returns nil for other handlers.
// Tests compare it with the paths of the OpenAPI document.
func RoutesOf(h http.Handler) [][2]string {
	engine, ok := h.(*gin.Engine)
	if !ok {
		return nil
	}
	var routes [][2]string
	for _, r := range engine.Routes() {
		routes = append(routes, [2]string{r.Method, r.Path})
	}
	return routes
}
