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
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	appconsole "github.com/otpcard/otpcard/application/console"
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
// referrer, nothing cached.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-store",
	"X-Frame-Options":        "DENY",
}

// Deps are what the console needs.
type Deps struct {
	SignIn *appconsole.SignIn
	Logger *slog.Logger
}

type handler struct {
	signIn *appconsole.SignIn
	logger *slog.Logger
	pages  map[string]*template.Template
}

// NewHandler builds the console's handler, for the paths under /console/.
func NewHandler(d Deps) (http.Handler, error) {
	h := &handler{signIn: d.SignIn, logger: d.Logger, pages: map[string]*template.Template{}}
	for _, page := range []string{"signin", "home", "problem"} {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html")
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
	r.Use(func(c *gin.Context) {
		for k, v := range securityHeaders {
			c.Header(k, v)
		}
		c.Next()
	})
	r.GET("/console/", h.home)
	r.GET("/console/sign-in", h.redeem)
	r.POST("/console/sign-out", h.sameSite, h.signOut)
	r.StaticFS("/console/static", http.FS(static))
	r.NoRoute(func(c *gin.Context) {
		h.problem(c, http.StatusNotFound, "notFound", "notFoundText")
	})
	return r, nil
}

// view is what every page shows.
type view struct {
	Lang     string
	T        map[string]string
	Operator string
	CSRF     string
	Roles    []string
	Clients  []string
	Expires  string
	Heading  string
	Message  string
}

func (h *handler) view(c *gin.Context) view {
	lang := language(c.GetHeader("Accept-Language"))
	return view{Lang: lang, T: texts[lang]}
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
	v.Operator, v.CSRF, v.Roles, v.Clients = session.Subject, string(session.CSRF), session.Roles, session.Clients
	v.Expires = session.Expires.UTC().Format(time.RFC3339)
	h.render(c, http.StatusOK, "home", v)
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
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: string(secret), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Expires: session.Expires, MaxAge: int(console.SessionLifetime.Seconds())})
	c.Redirect(http.StatusSeeOther, "/console/")
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

// sameSite refuses a state-changing request that a browser says came from another site, or whose
// Origin is not this host's.
func (h *handler) sameSite(c *gin.Context) {
	site := c.GetHeader("Sec-Fetch-Site")
	origin := c.GetHeader("Origin")
	crossSite := site != "" && site != "same-origin" && site != "none"
	if origin != "" && origin != "null" {
		u, err := url.Parse(origin)
		crossSite = crossSite || err != nil || u.Host != c.Request.Host
	} else if origin == "null" {
		crossSite = true
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
