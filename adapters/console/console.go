// Package console is the help-desk console (API.md section 12): server-rendered pages under
// /console/ in the same binary, a driving adapter beside the JSON API over the same use cases.
// This part signs operators in and out: one-time links, sessions in PostgreSQL behind a __Host-
// cookie, CSRF tokens and cross-site refusal on every state-changing form, a strict
// Content-Security-Policy.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/audit"
	"github.com/otpcard/otpcard/application/caller"
	appconsole "github.com/otpcard/otpcard/application/console"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	appprinting "github.com/otpcard/otpcard/application/printing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/console"
	"github.com/otpcard/otpcard/domain/fault"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// CookieName is the session cookie: __Host- binds it to this host, Secure and Path /.
const CookieName = "__Host-otpcard-console"

// securityHeaders are on every answer of the console: no inline script or style, no frames, no
// referrer to other sites, nothing cached.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"Cache-Control":          "no-store",
	"X-Frame-Options":        "DENY",
}

// Deps are what the console needs: its sign-in, and the use cases of the modules its pages show
// (the same the JSON API calls, with the operator as the caller).
type Deps struct {
	SignIn     *appconsole.SignIn
	Directory  appdirectory.UseCases
	Credential appcredential.UseCases
	Audit      audit.UseCases
	Rollout    approllout.UseCases
	Printing   appprinting.UseCases
	// OIDC, when its Issuer is set, signs operators in through that provider; without it a
	// local operator signs in with the links of `otpcard console`.
	OIDC   OIDC
	Now    func() time.Time
	Logger *slog.Logger
}

type handler struct {
	signIn     *appconsole.SignIn
	directory  appdirectory.UseCases
	credential appcredential.UseCases
	audit      audit.UseCases
	rollout    approllout.UseCases
	printing   appprinting.UseCases
	oidc       *provider
	now        func() time.Time
	logger     *slog.Logger
	pages      map[string]*template.Template
}

// NewHandler builds the console's handler, for the paths under /console/.
func NewHandler(d Deps) (http.Handler, error) {
	h := &handler{signIn: d.SignIn, directory: d.Directory, credential: d.Credential, audit: d.Audit,
		rollout: d.Rollout, printing: d.Printing, now: d.Now, logger: d.Logger, pages: map[string]*template.Template{}}
	if h.now == nil {
		h.now = time.Now
	}
	if d.OIDC.Issuer != "" {
		h.oidc = &provider{cfg: d.OIDC}
	}
	for _, page := range []string{"signin", "home", "problem", "search", "user", "audit", "jobs", "batches"} {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/search.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		h.pages[page] = t
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(gin.Recovery(), func(c *gin.Context) {
		for k, v := range securityHeaders {
			c.Header(k, v)
		}
		c.Next()
	})
	r.GET("/console/", h.home)
	if h.oidc != nil {
		r.GET("/console/sign-in/oidc", h.startOIDC)
		r.GET("/console/callback", h.callback)
	} else {
		r.GET("/console/sign-in", h.redeem)
	}
	r.GET("/console/search", h.signedIn(h.search))
	r.GET("/console/clients/:client/users/:user", h.signedIn(h.user))
	r.GET("/console/clients/:client/users/:user/audit", h.signedIn(h.userAudit))
	r.GET("/console/clients/:client/jobs", h.signedIn(h.jobs))
	r.GET("/console/clients/:client/batches", h.signedIn(h.batches))
	r.POST("/console/clients/:client/users/:user/cards/:card/state", h.sameSite, h.signedIn(h.withCSRF(h.cardState)))
	r.POST("/console/clients/:client/users/:user/cards/:card/delete", h.sameSite, h.signedIn(h.withCSRF(h.cardDelete)))
	r.POST("/console/sign-out", h.sameSite, h.signOut)
	r.StaticFS("/console/static", http.FS(static))
	r.NoRoute(func(c *gin.Context) {
		h.problem(c, http.StatusNotFound, "notFound", "notFoundText")
	})
	return r, nil
}

// view is what every page shows.
type view struct {
	Lang string
	T    map[string]string
	// OIDC tells the sign-in page to offer the identity provider rather than the links.
	OIDC     bool
	Operator string
	CSRF     string
	Roles    []string
	Clients  []string
	Expires  string
	Heading  string
	Message  string
	// The search form and its results; the user's page.
	Client, Query  string
	Searched, More bool
	Users          []userLine
	User           userLine
	Cards          []cardLine
	// Done confirms the action that led back to the page.
	Done bool
	// Audit is the user's audit trail.
	Audit []auditLine
	// Jobs and Batches are the client's rollout jobs and print batches; Refresh, in seconds,
	// reloads a page whose jobs are still running (no script: a meta refresh).
	Jobs    []jobLine
	Batches []batchLine
	Refresh int
}

func (h *handler) view(c *gin.Context) view {
	lang := language(c.GetHeader("Accept-Language"))
	return view{Lang: lang, T: texts[lang], OIDC: h.oidc != nil}
}

// render writes a page; a template that fails is answered 500 without a half-written page.
func (h *handler) render(c *gin.Context, status int, page string, v view) {
	var b bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&b, "layout", v); err != nil {
		h.logger.Error("console page", "page", page, "error", err.Error())
		status, b = http.StatusInternalServerError, *bytes.NewBufferString("console page failed")
	}
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

func (h *handler) problem(c *gin.Context, status int, heading, message string) {
	v := h.view(c)
	v.Heading, v.Message = v.T[heading], v.T[message]
	h.render(c, status, "problem", v)
}

// failed answers an error of the service: a 503 or 500 page, logged once here.
func (h *handler) failed(c *gin.Context, err error) {
	h.logger.Error("console request failed", "path", c.FullPath(), "error", err.Error())
	status := http.StatusInternalServerError
	if fault.Is(err, fault.Unavailable) {
		status = http.StatusServiceUnavailable
	}
	h.problem(c, status, "failed", "failedText")
}

// home is the signed-in operator's start page, or the sign-in page.
func (h *handler) home(c *gin.Context) {
	session, ok := h.session(c)
	if !ok {
		return
	}
	v := h.view(c)
	if session == nil {
		h.render(c, http.StatusOK, "signin", v)
		return
	}
	v = h.signedInView(c, *session)
	v.Expires = session.Expires.UTC().Format(time.RFC3339)
	h.render(c, http.StatusOK, "home", v)
}

// signedInView is the view of a page for the session's operator; the search form starts with
// the operator's client when the data room holds exactly one.
func (h *handler) signedInView(c *gin.Context, session console.Session) view {
	v := h.view(c)
	v.Operator, v.CSRF, v.Roles, v.Clients = session.Subject, string(session.CSRF), session.Roles, session.Clients
	if len(session.Clients) == 1 {
		v.Client = session.Clients[0]
	}
	return v
}

// page is a page for a signed-in operator.
type page func(c *gin.Context, session console.Session, as caller.Caller)

// signedIn runs p for the request's session; without one it redirects to the sign-in page.
func (h *handler) signedIn(p page) gin.HandlerFunc {
	return func(c *gin.Context) {
		cookie, _ := c.Cookie(CookieName)
		session, as, err := h.signIn.Current(c.Request.Context(), console.Secret(cookie))
		switch {
		case errors.Is(err, console.ErrNoSession):
			clearCookie(c)
			c.Redirect(http.StatusSeeOther, "/console/")
		case err != nil:
			h.failed(c, err)
		default:
			p(c, session, as)
		}
	}
}

// refused answers what a use case refused: a page for each kind, never the error's text.
func (h *handler) refused(c *gin.Context, err error) {
	switch {
	case fault.Is(err, fault.Forbidden) || fault.Is(err, fault.Unauthenticated):
		h.problem(c, http.StatusForbidden, "refused", "refusedText")
	case fault.Is(err, fault.NotFound):
		h.problem(c, http.StatusNotFound, "notFound", "notFoundText")
	case fault.Is(err, fault.Invalid):
		h.problem(c, http.StatusBadRequest, "badRequest", "badRequestText")
	default:
		h.failed(c, err)
	}
}

// search finds users of a client: by card serial first (the holder), else by extId, loginId,
// names or e-mail.
func (h *handler) search(c *gin.Context, session console.Session, as caller.Caller) {
	v := h.signedInView(c, session)
	if client := c.Query("client"); client != "" {
		v.Client = client
	}
	v.Query = strings.TrimSpace(c.Query("q"))
	if v.Client == "" || v.Query == "" {
		h.render(c, http.StatusOK, "search", v)
		return
	}
	if len(v.Query) > 200 {
		h.problem(c, http.StatusBadRequest, "badRequest", "badRequestText")
		return
	}
	ctx := c.Request.Context()
	holder, err := holderOfSerial(ctx, h.credential.FindOTPCard, as, v.Client, v.Query)
	if err == nil && holder != "" {
		// The holder's page is shown only to who may see users: the redirect must not name one first.
		if _, err = userOf(ctx, h.directory.GetUser, as, v.Client, holder); err == nil {
			c.Redirect(http.StatusSeeOther, "/console/clients/"+url.PathEscape(v.Client)+"/users/"+url.PathEscape(holder))
			return
		}
	}
	if err == nil {
		v.Users, v.More, err = searchUsers(ctx, h.directory.ListUsers, as, v.Client, v.Query)
	}
	if err != nil {
		h.refused(c, err)
		return
	}
	v.Searched = true
	h.render(c, http.StatusOK, "search", v)
}

// user shows a user's profile and cards.
func (h *handler) user(c *gin.Context, session console.Session, as caller.Caller) {
	v := h.signedInView(c, session)
	v.Client = c.Param("client")
	ctx := c.Request.Context()
	var err error
	if v.User, err = userOf(ctx, h.directory.GetUser, as, v.Client, c.Param("user")); err == nil {
		v.Cards, err = cardsOf(ctx, h.credential.ListOTPCards, as, v.Client, c.Param("user"), h.now())
	}
	if err != nil {
		h.refused(c, err)
		return
	}
	v.Done = c.Query("done") == "1"
	h.render(c, http.StatusOK, "user", v)
}

// userAudit shows the user's audit trail (right AuditView).
func (h *handler) userAudit(c *gin.Context, session console.Session, as caller.Caller) {
	v := h.signedInView(c, session)
	v.Client = c.Param("client")
	var err error
	if v.User, err = userOf(c.Request.Context(), h.directory.GetUser, as, v.Client, c.Param("user")); err == nil {
		v.Audit, v.More, err = userAudit(c.Request.Context(), h.audit.ListAuditEvents, as, v.Client, v.User.ExtID, h.now())
	}
	if err != nil {
		h.refused(c, err)
		return
	}
	h.render(c, http.StatusOK, "audit", v)
}

// jobsRefresh is how often the jobs page reloads while a job runs.
const jobsRefresh = 3

// jobs shows the client's rollout jobs with their progress, reloading while one runs (right
// RolloutView).
func (h *handler) jobs(c *gin.Context, session console.Session, as caller.Caller) {
	v := h.signedInView(c, session)
	v.Client = c.Param("client")
	var err error
	if v.Jobs, err = jobsOf(c.Request.Context(), h.rollout.ListJobs, as, v.Client); err != nil {
		h.refused(c, err)
		return
	}
	for _, j := range v.Jobs {
		if j.Running {
			v.Refresh = jobsRefresh
		}
	}
	h.render(c, http.StatusOK, "jobs", v)
}

// batches shows the client's print batches (right RolloutView); downloading them is the print
// shop's, through the API.
func (h *handler) batches(c *gin.Context, session console.Session, as caller.Caller) {
	v := h.signedInView(c, session)
	v.Client = c.Param("client")
	var err error
	if v.Batches, err = batchesOf(c.Request.Context(), h.printing.ListPrintBatches, as, v.Client); err != nil {
		h.refused(c, err)
		return
	}
	h.render(c, http.StatusOK, "batches", v)
}

// withCSRF runs p only when the form carries the session's CSRF token.
func (h *handler) withCSRF(p page) page {
	return func(c *gin.Context, session console.Session, as caller.Caller) {
		if err := appconsole.CheckCSRF(session, c.PostForm("csrf")); err != nil {
			h.problem(c, http.StatusForbidden, "forbidden", "crossSite")
			return
		}
		p(c, session, as)
	}
}

// cardKey is the card a form acts on, and the version the operator saw.
func cardKey(c *gin.Context) (appcredential.CardKey, int32, error) {
	v, err := strconv.ParseInt(c.PostForm("version"), 10, 32)
	if err != nil {
		return appcredential.CardKey{}, 0, fmt.Errorf("%w: version", fault.ErrInvalid)
	}
	return appcredential.CardKey{ClientExtID: c.Param("client"), UserExtID: c.Param("user"), ExtID: c.Param("card")}, int32(v), nil
}

// acted answers an action: back to the user's page, confirmed; a card that changed since the
// operator opened the page is a 409 page that says so.
func (h *handler) acted(c *gin.Context, key appcredential.CardKey, err error) {
	switch {
	case err == nil:
		c.Redirect(http.StatusSeeOther, "/console/clients/"+url.PathEscape(key.ClientExtID)+"/users/"+url.PathEscape(key.UserExtID)+"?done=1")
	case fault.Is(err, fault.Conflict):
		h.problem(c, http.StatusConflict, "changed", "changedText")
	case fault.Is(err, fault.Refused):
		h.problem(c, http.StatusUnprocessableEntity, "notPossible", "notPossibleText")
	default:
		h.refused(c, err)
	}
}

// cardState unlocks, disables, enables or archives a card.
func (h *handler) cardState(c *gin.Context, _ console.Session, as caller.Caller) {
	key, version, err := cardKey(c)
	if err == nil {
		err = changeCardState(c.Request.Context(), h.credential.ChangeOTPCardState, as, key, c.PostForm("action"), version)
	}
	h.acted(c, key, err)
}

// cardDelete deletes a card.
func (h *handler) cardDelete(c *gin.Context, _ console.Session, as caller.Caller) {
	key, version, err := cardKey(c)
	if err == nil {
		err = deleteCard(c.Request.Context(), h.credential.DeleteOTPCard, as, key, version)
	}
	h.acted(c, key, err)
}

// session is the request's live session, nil when it has none (its cookie is cleared then); false
// when the answer was written already (a failure of the service).
func (h *handler) session(c *gin.Context) (*console.Session, bool) {
	cookie, err := c.Cookie(CookieName)
	if err != nil || cookie == "" {
		return nil, true
	}
	s, _, err := h.signIn.Current(c.Request.Context(), console.Secret(cookie))
	switch {
	case errors.Is(err, console.ErrNoSession):
		clearCookie(c)
		return nil, true
	case err != nil:
		h.failed(c, err)
		return nil, false
	}
	return &s, true
}

// redeem signs in with a one-time link and redirects to a URL without its secret.
func (h *handler) redeem(c *gin.Context) {
	link := c.Query("link")
	if link == "" || len(link) > 100 {
		h.problem(c, http.StatusForbidden, "linkRefused", "linkRefusedText")
		return
	}
	secret, session, err := h.signIn.Redeem(c.Request.Context(), console.Secret(link), fromLoopback(c.Request))
	switch {
	case errors.Is(err, console.ErrLinkRefused):
		h.problem(c, http.StatusForbidden, "linkRefused", "linkRefusedText")
		return
	case err != nil:
		h.failed(c, err)
		return
	}
	h.endOldSession(c)
	setSessionCookie(c, secret, session)
	c.Redirect(http.StatusSeeOther, "/console/")
}

// endOldSession ends the session the browser still held when it signed in again: one browser, one
// session.
func (h *handler) endOldSession(c *gin.Context) {
	if old, err := c.Cookie(CookieName); err == nil && old != "" {
		if err := h.signIn.SignOut(c.Request.Context(), console.Secret(old)); err != nil {
			h.logger.Warn("console: could not end the previous session", "error", err.Error())
		}
	}
}

// setSessionCookie hands the browser its session: __Host-, Secure, HttpOnly, SameSite=Lax, Path /.
func setSessionCookie(c *gin.Context, secret console.Secret, session console.Session) {
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: string(secret), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Expires: session.Expires, MaxAge: int(console.SessionLifetime.Seconds())})
}

// signOut ends the session; the form carries its CSRF token.
func (h *handler) signOut(c *gin.Context) {
	session, ok := h.session(c)
	if !ok {
		return
	}
	if session == nil {
		c.Redirect(http.StatusSeeOther, "/console/")
		return
	}
	if err := appconsole.CheckCSRF(*session, c.PostForm("csrf")); err != nil {
		h.problem(c, http.StatusForbidden, "forbidden", "crossSite")
		return
	}
	cookie, _ := c.Cookie(CookieName)
	if err := h.signIn.SignOut(c.Request.Context(), console.Secret(cookie)); err != nil {
		h.failed(c, err)
		return
	}
	clearCookie(c)
	c.Redirect(http.StatusSeeOther, "/console/")
}

// sameSite refuses a state-changing request that a browser says came from another site: by
// Sec-Fetch-Site when the browser sends it (same-origin, or none for what the user typed), else by
// an Origin that is not this host's. A request with neither (not from a browser) must still carry
// the session's CSRF token.
func (h *handler) sameSite(c *gin.Context) {
	crossSite := false
	if site := c.GetHeader("Sec-Fetch-Site"); site != "" {
		crossSite = site != "same-origin" && site != "none"
	} else if origin := c.GetHeader("Origin"); origin != "" {
		u, err := url.Parse(origin)
		crossSite = origin == "null" || err != nil || u.Host != c.Request.Host
	}
	if crossSite {
		h.problem(c, http.StatusForbidden, "forbidden", "crossSite")
		c.Abort()
		return
	}
	c.Next()
}

func clearCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// fromLoopback reports whether the request's TCP peer is this machine: a sign-in link is accepted
// only from there (API.md 12). Forwarding headers are not believed: a proxy in front makes every
// link remote, which is the safe side.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
