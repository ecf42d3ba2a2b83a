package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"

	"github.com/otpcard/otpcard/application/audit"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	appprinting "github.com/otpcard/otpcard/application/printing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/fault"
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
	w := s.writeError

	// The directory: clients and users.
	dir := moduleOf[appdirectory.UseCases](s.Modules)
	core.POST("/clients", serve(w, dir.CreateClient, createClientCommand, created(clientLocation, clientWire)))
	get(core, "/clients", serve(w, dir.ListClients, listClientsQuery, ok(clientsWire)))
	get(core, "/clients/:clientExtId", serve(w, dir.GetClient, getClientQuery, ok(clientWire)))
	core.PATCH("/clients/:clientExtId", serve(w, dir.ChangeClient, changeClientCommand, ok(clientWire)))
	core.DELETE("/clients/:clientExtId", serve(w, dir.DeleteClient, deleteClientCommand, noContent))
	get(core, "/clients/:clientExtId/users", serve(w, dir.ListUsers, listUsersQuery, ok(usersWire)))
	core.POST("/:clientExtId/users", serve(w, dir.CreateUser, createUserCommand, created(userLocation, userWire)))
	get(core, "/:clientExtId/users/:userExtId", serve(w, dir.GetUser, getUserQuery, ok(userWire)))
	core.PATCH("/:clientExtId/users/:userExtId", serve(w, dir.ChangeUser, changeUserCommand, ok(userWire)))
	core.DELETE("/:clientExtId/users/:userExtId", serve(w, dir.DeleteUser, deleteUserCommand, noContent))

	// The credential module: OTP card policies, OTP cards, challenge and login.
	cred := moduleOf[appcredential.UseCases](s.Modules)
	get(core, "/clients/:clientExtId/policies", serve(w, cred.ListPolicies, listPoliciesQuery, ok(policiesWire)))
	core.POST("/:clientExtId/policies", serve(w, cred.CreatePolicy, createPolicyCommand, created(policyLocation, policyWire)))
	get(core, "/:clientExtId/policies/:policyExtId", serve(w, cred.GetPolicy, getPolicyQuery, ok(policyWire)))
	core.PATCH("/:clientExtId/policies/:policyExtId", serve(w, cred.ModifyPolicy, modifyPolicyCommand, ok(policyWire)))
	core.DELETE("/:clientExtId/policies/:policyExtId", serve(w, cred.DeletePolicy, deletePolicyCommand, noContent))

	get(core, "/clients/:clientExtId/otp-credentials", noStore, serve(w, cred.FindOTPCard, findCardQuery, ok(cardsWire)))
	cards := core.Group("/:clientExtId/users/:userExtId/otp-credentials", noStore)
	cards.POST("", s.limitIssue(cred.CreateOTPCard.Access),
		serve(w, cred.CreateOTPCard, createCardCommand, issued(w, s.PrintCard, http.StatusCreated, true)))
	get(cards, "", serve(w, cred.ListOTPCards, listCardsQuery, ok(cardsWire)))
	get(cards, "/:extId", serve(w, cred.GetOTPCard, getCardQuery, ok(maskedWire)))
	cards.PATCH("/:extId", serve(w, cred.ChangeOTPCardState, patchCardCommand, ok(maskedWire)))
	cards.DELETE("/:extId", serve(w, cred.DeleteOTPCard, deleteCardCommand, noContent))
	cards.POST("/:extId/replace", s.limitIssue(cred.ReplaceOTPCard.Access),
		serve(w, cred.ReplaceOTPCard, replaceCardCommand, issued(w, s.PrintCard, http.StatusOK, false)))
	cards.POST("/:extId/renew", s.limitIssue(cred.RenewOTPCard.Access),
		serve(w, cred.RenewOTPCard, renewCardCommand, issued(w, s.PrintCard, http.StatusCreated, true)))

	otp := r.Group(authPath+"/:clientExtId/users/:userExtId/otp", s.authenticate, noStore, s.limitLogin(cred.Login.Access))
	otp.POST("/challenge", serve(w, cred.IssueChallenge, challengeCommand, ok(challengeWire)))
	otp.POST("/login", serve(w, cred.Login, loginCommand, ok(loginWire)))

	// A client's print settings (ext): the directory's, since they are part of the client.
	printSettings := r.Group(auditPath+"/:clientExtId/print-settings", s.authenticate)
	get(printSettings, "", serve(w, dir.GetPrintSettings, getPrintSettingsQuery, ok(printSettingsWire)))
	printSettings.PUT("", serve(w, dir.SetPrintSettings, setPrintSettingsCommand, ok(printSettingsWire)))

	// The printing module: print batches (ext).
	prn := moduleOf[appprinting.UseCases](s.Modules)
	batches := r.Group(auditPath+"/:clientExtId/print-batches", s.authenticate, noStore)
	get(batches, "", serve(w, prn.ListPrintBatches, listPrintBatchesQuery, ok(printBatchesWire)))
	get(batches, "/:batchId", serve(w, prn.GetPrintBatch, printBatchQuery, ok(printBatchWire)))
	get(batches, "/:batchId/content", serve(w, prn.DownloadPrintBatch, printBatchQuery, streamBatch(w)))
	batches.DELETE("/:batchId", serve(w, prn.DeletePrintBatch, printBatchQuery, noContent))

	// The rollout module: rollout jobs (ext).
	rol := moduleOf[approllout.UseCases](s.Modules)
	jobs := r.Group(auditPath+"/:clientExtId/rollout-jobs", s.authenticate)
	jobs.POST("", createRolloutJob(w, rol))
	get(jobs, "", serve(w, rol.ListJobs, listRolloutJobsQuery, ok(rolloutJobsWire)))
	get(jobs, "/:jobId", serve(w, rol.GetJob, rolloutJobQuery, ok(rolloutJobWire)))
	get(jobs, "/:jobId/items", serve(w, rol.ListItems, listRolloutItemsQuery, ok(rolloutItemsWire)))
	jobs.POST("/:jobId/cancel", serve(w, rol.CancelJob, rolloutJobQuery, ok(rolloutJobWire)))

	// The audit trail.
	aud := moduleOf[audit.UseCases](s.Modules)
	get(r, auditPath+"/audit-events", s.authenticate, serve(w, aud.ListAuditEvents, auditEventsQuery, ok(auditEventsWire)))
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
