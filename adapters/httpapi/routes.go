package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/otpcard/otpcard/domain/fault"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
)

// Base paths of the API.
const (
	corePath = "/nevisidm/api/core/v1"
)

// routes lists every route of the service.
func (s *server) routes(r *gin.Engine) {
	if s.TracerProvider != nil {
		opts := []otelgin.Option{otelgin.WithTracerProvider(s.TracerProvider)}
		if s.Propagator != nil {
			opts = append(opts, otelgin.WithPropagators(s.Propagator))
		}
		if s.MeterProvider != nil {
			opts = append(opts, otelgin.WithMeterProvider(s.MeterProvider))
		}
		r.Use(otelgin.Middleware("otpcard", opts...))
	}
	r.Use(requestID, s.accessLog, s.recovery, s.limitHeaders, deadline, s.limitAddress)
	r.NoRoute(func(c *gin.Context) { s.writeError(c, errNoRoute) })
	r.NoMethod(func(c *gin.Context) { s.writeError(c, errMethod) })

	// Every GET route answers HEAD too (API.md section 1): get registers both.
	get(r, "/healthz", s.healthz)
	get(r, "/openapi.json", s.openapi)
	get(r, "/readyz", s.readyz)
	if s.Metrics != nil {
		get(r, "/metrics", gin.WrapH(s.Metrics))
	}

	core := r.Group(corePath, s.authenticate)
	core.POST("/clients", s.createClient)
	get(core, "/clients", s.listClients)
	get(core, "/clients/:clientExtId", s.getClient)
	core.PATCH("/clients/:clientExtId", s.changeClient)
	core.DELETE("/clients/:clientExtId", s.deleteClient)
	get(core, "/clients/:clientExtId/users", s.listUsers)
	get(core, "/clients/:clientExtId/policies", s.listPolicies)

	core.POST("/:clientExtId/policies", s.createPolicy)
	get(core, "/:clientExtId/policies/:policyExtId", s.getPolicy)
	core.PATCH("/:clientExtId/policies/:policyExtId", s.modifyPolicy)
	core.DELETE("/:clientExtId/policies/:policyExtId", s.deletePolicy)

	core.POST("/:clientExtId/users", s.createUser)
	get(core, "/:clientExtId/users/:userExtId", s.getUser)
	core.PATCH("/:clientExtId/users/:userExtId", s.changeUser)
	core.DELETE("/:clientExtId/users/:userExtId", s.deleteUser)

	cards := core.Group("/:clientExtId/users/:userExtId/otp-credentials", noStore)
	cards.POST("", s.limitIssue(s.CreateCard.Access), s.createCard)
	get(cards, "", s.listCards)
	get(cards, "/:extId", s.getCard)
	cards.PATCH("/:extId", s.patchCard)
	cards.DELETE("/:extId", s.deleteCard)
	cards.POST("/:extId/replace", s.limitIssue(s.ReplaceCard.Access), s.replaceCard)

	otp := r.Group(authPath+"/:clientExtId/users/:userExtId/otp", s.authenticate, noStore, s.limitLogin(s.Login.Access))
	otp.POST("/challenge", s.issueChallenge)
	otp.POST("/login", s.login)

	get(r, auditPath+"/audit-events", s.authenticate, s.listAuditEvents)
}

// get registers a GET route and the same handlers for HEAD: net/http drops a HEAD answer's body
// and keeps its status and headers.
func get(r gin.IRoutes, path string, handlers ...gin.HandlerFunc) {
	r.GET(path, handlers...)
	r.HEAD(path, handlers...)
}

func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *server) readyz(c *gin.Context) {
	if s.Ready != nil {
		if err := s.Ready(c.Request.Context()); err != nil {
			s.writeError(c, errUnavailableFrom(err))
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func errUnavailableFrom(err error) error { return fmt.Errorf("%w: %v", fault.ErrUnavailable, err) }
