package client

import (
	"net/http"
	"net/url"
	"strconv"
)

// The routes of API.md sections 1-9, one method each, in the order of openapi.json.

// Healthz is GET /healthz.
func (a *API) Healthz(t T, o ...Option) Reply[HealthStatus] {
	return call[HealthStatus](t, a, http.MethodGet, "/healthz", nil, o)
}

// Readyz is GET /readyz: 200 while the database answers.
func (a *API) Readyz(t T, o ...Option) Reply[HealthStatus] {
	return call[HealthStatus](t, a, http.MethodGet, "/readyz", nil, o)
}

// Metrics is GET /metrics, in the Prometheus text format.
func (a *API) Metrics(t T, o ...Option) Reply[[]byte] {
	return call[[]byte](t, a, http.MethodGet, "/metrics", nil, o)
}

// OpenAPI is GET /openapi.json, the document the service embeds.
func (a *API) OpenAPI(t T, o ...Option) Reply[[]byte] {
	return call[[]byte](t, a, http.MethodGet, "/openapi.json", nil, o)
}

// Head is HEAD of any path: every GET route answers HEAD as well (API.md section 1).
func (a *API) Head(t T, path string, o ...Option) Response {
	return call[NoContent](t, a, http.MethodHead, path, nil, o).Response
}

// Page asks for one page of a list; zero values leave the parameter out.
type Page struct {
	Limit             int
	ContinuationToken string
}

func (p Page) values() url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.ContinuationToken != "" {
		q.Set("continuationToken", p.ContinuationToken)
	}
	return q
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// CreateClient is POST /clients: 201 with Location.
func (a *API) CreateClient(t T, body ClientCreate, o ...Option) Reply[Client] {
	return call[Client](t, a, http.MethodPost, ClientsPath, body, o)
}

// ListClients is GET /clients.
func (a *API) ListClients(t T, p Page, o ...Option) Reply[List[Client]] {
	return call[List[Client]](t, a, http.MethodGet, withQuery(ClientsPath, p.values()), nil, o)
}

// GetClient is GET /clients/{clientExtId}.
func (a *API) GetClient(t T, client string, o ...Option) Reply[Client] {
	return call[Client](t, a, http.MethodGet, ClientPath(client), nil, o)
}

// PatchClient is PATCH /clients/{clientExtId}.
func (a *API) PatchClient(t T, client string, body ClientPatch, o ...Option) Reply[Client] {
	return call[Client](t, a, http.MethodPatch, ClientPath(client), body, o)
}

// DeleteClient is DELETE /clients/{clientExtId}: 204, 422 while it has users.
func (a *API) DeleteClient(t T, client string, o ...Option) Reply[NoContent] {
	return call[NoContent](t, a, http.MethodDelete, ClientPath(client), nil, o)
}

// UserQuery asks for a page of a client's users, optionally only the one with a loginId.
type UserQuery struct {
	Page
	LoginID string
}

// CreateUser is POST /{clientExtId}/users: 201 with Location.
func (a *API) CreateUser(t T, client string, body UserCreate, o ...Option) Reply[User] {
	return call[User](t, a, http.MethodPost, UsersPath(client), body, o)
}

// ListUsers is GET /clients/{clientExtId}/users.
func (a *API) ListUsers(t T, client string, q UserQuery, o ...Option) Reply[List[User]] {
	v := q.values()
	if q.LoginID != "" {
		v.Set("loginId", q.LoginID)
	}
	return call[List[User]](t, a, http.MethodGet, withQuery(UserListPath(client), v), nil, o)
}

// GetUser is GET /{clientExtId}/users/{userExtId}.
func (a *API) GetUser(t T, k UserKey, o ...Option) Reply[User] {
	return call[User](t, a, http.MethodGet, k.Path(), nil, o)
}

// PatchUser is PATCH /{clientExtId}/users/{userExtId}.
func (a *API) PatchUser(t T, k UserKey, body UserPatch, o ...Option) Reply[User] {
	return call[User](t, a, http.MethodPatch, k.Path(), body, o)
}

// DeleteUser is DELETE /{clientExtId}/users/{userExtId}; the user's cards go too.
func (a *API) DeleteUser(t T, k UserKey, o ...Option) Reply[NoContent] {
	return call[NoContent](t, a, http.MethodDelete, k.Path(), nil, o)
}

// CreatePolicy is POST /{clientExtId}/policies: 201 with Location.
func (a *API) CreatePolicy(t T, client string, body PolicyCreate, o ...Option) Reply[Policy] {
	return call[Policy](t, a, http.MethodPost, PoliciesPath(client), body, o)
}

// ListPolicies is GET /clients/{clientExtId}/policies.
func (a *API) ListPolicies(t T, client string, p Page, o ...Option) Reply[List[Policy]] {
	return call[List[Policy]](t, a, http.MethodGet, withQuery(PolicyListPath(client), p.values()), nil, o)
}

// GetPolicy is GET /{clientExtId}/policies/{policyExtId}.
func (a *API) GetPolicy(t T, k PolicyKey, o ...Option) Reply[Policy] {
	return call[Policy](t, a, http.MethodGet, k.Path(), nil, o)
}

// PatchPolicy is PATCH /{clientExtId}/policies/{policyExtId}.
func (a *API) PatchPolicy(t T, k PolicyKey, body PolicyPatch, o ...Option) Reply[Policy] {
	return call[Policy](t, a, http.MethodPatch, k.Path(), body, o)
}

// DeletePolicy is DELETE /{clientExtId}/policies/{policyExtId}: 204, 422 while used.
func (a *API) DeletePolicy(t T, k PolicyKey, o ...Option) Reply[NoContent] {
	return call[NoContent](t, a, http.MethodDelete, k.Path(), nil, o)
}

// CreateCard is POST .../otp-credentials: 201 with Location and the card in clear.
func (a *API) CreateCard(t T, k UserKey, body CredentialCreate, o ...Option) Reply[Credential] {
	return call[Credential](t, a, http.MethodPost, k.CardsPath(), body, o)
}

// CreateCardPDF is CreateCard answered with the printable card.
func (a *API) CreateCardPDF(t T, k UserKey, body CredentialCreate, o ...Option) Reply[PDF] {
	return call[PDF](t, a, http.MethodPost, k.CardsPath(), body, append([]Option{acceptPDF}, o...))
}

// ListCards is GET .../otp-credentials, cards masked.
func (a *API) ListCards(t T, k UserKey, p Page, o ...Option) Reply[List[Credential]] {
	return call[List[Credential]](t, a, http.MethodGet, withQuery(k.CardsPath(), p.values()), nil, o)
}

// ListCardsBySerial is GET .../otp-credentials?serialNumber= (ext): the user's card with that
// serial number, or none.
func (a *API) ListCardsBySerial(t T, k UserKey, serial string, o ...Option) Reply[List[Credential]] {
	return call[List[Credential]](t, a, http.MethodGet, withQuery(k.CardsPath(), url.Values{"serialNumber": {serial}}), nil, o)
}

// FindCard is GET /clients/{clientExtId}/otp-credentials?serialNumber= (ext): the client's card
// with that serial number, or none.
func (a *API) FindCard(t T, client, serial string, o ...Option) Reply[List[Credential]] {
	return call[List[Credential]](t, a, http.MethodGet, withQuery(CardListPath(client), url.Values{"serialNumber": {serial}}), nil, o)
}

// GetCard is GET .../otp-credentials/{extId}, the card masked.
func (a *API) GetCard(t T, k CardKey, o ...Option) Reply[Credential] {
	return call[Credential](t, a, http.MethodGet, k.Path(), nil, o)
}

// PatchCard is PATCH .../otp-credentials/{extId}: state and comment (ext).
func (a *API) PatchCard(t T, k CardKey, body CredentialPatch, o ...Option) Reply[Credential] {
	return call[Credential](t, a, http.MethodPatch, k.Path(), body, o)
}

// DeleteCard is DELETE .../otp-credentials/{extId}: 204.
func (a *API) DeleteCard(t T, k CardKey, o ...Option) Reply[NoContent] {
	return call[NoContent](t, a, http.MethodDelete, k.Path(), nil, o)
}

// ReplaceCard is POST .../otp-credentials/{extId}/replace: 200 with the new card in clear.
func (a *API) ReplaceCard(t T, k CardKey, body CredentialReplace, o ...Option) Reply[Credential] {
	return call[Credential](t, a, http.MethodPost, k.ReplacePath(), body, o)
}

// ReplaceCardPDF is ReplaceCard answered with the printable card.
func (a *API) ReplaceCardPDF(t T, k CardKey, body CredentialReplace, o ...Option) Reply[PDF] {
	return call[PDF](t, a, http.MethodPost, k.ReplacePath(), body, append([]Option{acceptPDF}, o...))
}

// Challenge is POST .../otp/challenge without a body: the user's usable card is asked.
func (a *API) Challenge(t T, k UserKey, o ...Option) Reply[Challenge] {
	return call[Challenge](t, a, http.MethodPost, k.ChallengePath(), nil, o)
}

// RenewCard is POST .../otp-credentials/{extId}/renew (ext): 201 with Location and the successor
// in clear.
func (a *API) RenewCard(t T, k CardKey, body CredentialRenew, o ...Option) Reply[Credential] {
	return call[Credential](t, a, http.MethodPost, k.RenewPath(), body, o)
}

// RenewCardPDF is RenewCard answered as the successor's printable card (Accept: application/pdf).
func (a *API) RenewCardPDF(t T, k CardKey, body CredentialRenew, o ...Option) Reply[PDF] {
	return call[PDF](t, a, http.MethodPost, k.RenewPath(), body, append([]Option{acceptPDF}, o...))
}

// ChallengeCard is POST .../otp/challenge with a body that picks the card (ext).
func (a *API) ChallengeCard(t T, k UserKey, body ChallengeRequest, o ...Option) Reply[Challenge] {
	return call[Challenge](t, a, http.MethodPost, k.ChallengePath(), body, o)
}

// Login is POST .../otp/login: a wrong password is a 200 too, with its statusCode.
func (a *API) Login(t T, k UserKey, body LoginRequest, o ...Option) Reply[LoginResult] {
	return call[LoginResult](t, a, http.MethodPost, k.LoginPath(), body, o)
}

// AuditQuery filters the audit trail; zero values leave the filter out.
type AuditQuery struct {
	Page
	ClientExtID, UserExtID, CredentialExtID, Type, Since string
}

// AuditEvents is GET /otpcard/api/v1/audit-events (ext).
func (a *API) AuditEvents(t T, q AuditQuery, o ...Option) Reply[List[AuditEvent]] {
	v := q.values()
	for name, value := range map[string]string{"clientExtId": q.ClientExtID, "userExtId": q.UserExtID,
		"credentialExtId": q.CredentialExtID, "type": q.Type, "since": q.Since} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return call[List[AuditEvent]](t, a, http.MethodGet, withQuery(AuditPath, v), nil, o)
}

// PrintSettingsPath is the path of a client's print settings (ext).
func PrintSettingsPath(client string) string { return "/otpcard/api/v1/" + client + "/print-settings" }

// GetPrintSettings is GET /otpcard/api/v1/{clientExtId}/print-settings (ext).
func (a *API) GetPrintSettings(t T, client string, o ...Option) Reply[PrintSettings] {
	return call[PrintSettings](t, a, http.MethodGet, PrintSettingsPath(client), nil, o)
}

// SetPrintSettings is PUT /otpcard/api/v1/{clientExtId}/print-settings (ext).
func (a *API) SetPrintSettings(t T, client string, body PrintSettingsPut, o ...Option) Reply[PrintSettings] {
	return call[PrintSettings](t, a, http.MethodPut, PrintSettingsPath(client), body, o)
}

// RolloutJobsPath is the path of a client's rollout jobs (ext).
func RolloutJobsPath(client string) string { return "/otpcard/api/v1/" + client + "/rollout-jobs" }

// CreateRolloutJob is POST .../rollout-jobs with a JSON body (ext).
func (a *API) CreateRolloutJob(t T, client string, body RolloutJobCreate, o ...Option) Reply[RolloutJob] {
	return call[RolloutJob](t, a, http.MethodPost, RolloutJobsPath(client), body, o)
}

// ListRolloutJobs is GET .../rollout-jobs (ext).
func (a *API) ListRolloutJobs(t T, client string, p Page, o ...Option) Reply[List[RolloutJob]] {
	return call[List[RolloutJob]](t, a, http.MethodGet, withQuery(RolloutJobsPath(client), p.values()), nil, o)
}

// GetRolloutJob is GET .../rollout-jobs/{id} (ext).
func (a *API) GetRolloutJob(t T, client, id string, o ...Option) Reply[RolloutJob] {
	return call[RolloutJob](t, a, http.MethodGet, RolloutJobsPath(client)+"/"+id, nil, o)
}

// RolloutItems is GET .../rollout-jobs/{id}/items, with query (such as "?result=failed") as it
// goes on the wire (ext).
func (a *API) RolloutItems(t T, client, id, query string, o ...Option) Reply[List[RolloutItem]] {
	return call[List[RolloutItem]](t, a, http.MethodGet, RolloutJobsPath(client)+"/"+id+"/items"+query, nil, o)
}

// CancelRolloutJob is POST .../rollout-jobs/{id}/cancel (ext).
func (a *API) CancelRolloutJob(t T, client, id string, o ...Option) Reply[RolloutJob] {
	return call[RolloutJob](t, a, http.MethodPost, RolloutJobsPath(client)+"/"+id+"/cancel", nil, o)
}

// PrintBatchesPath is the path of a client's print batches (ext).
func PrintBatchesPath(client string) string { return "/otpcard/api/v1/" + client + "/print-batches" }

// ListPrintBatches is GET .../print-batches (ext).
func (a *API) ListPrintBatches(t T, client string, p Page, o ...Option) Reply[List[PrintBatch]] {
	return call[List[PrintBatch]](t, a, http.MethodGet, withQuery(PrintBatchesPath(client), p.values()), nil, o)
}

// GetPrintBatch is GET .../print-batches/{id} (ext).
func (a *API) GetPrintBatch(t T, client, id string, o ...Option) Reply[PrintBatch] {
	return call[PrintBatch](t, a, http.MethodGet, PrintBatchesPath(client)+"/"+id, nil, o)
}

// PrintBatchContent is GET .../print-batches/{id}/content: the tar of age chunks (ext).
func (a *API) PrintBatchContent(t T, client, id string, o ...Option) Reply[Archive] {
	return call[Archive](t, a, http.MethodGet, PrintBatchesPath(client)+"/"+id+"/content", nil, o)
}

// DeletePrintBatch is DELETE .../print-batches/{id} (ext).
func (a *API) DeletePrintBatch(t T, client, id string, o ...Option) Reply[NoContent] {
	return call[NoContent](t, a, http.MethodDelete, PrintBatchesPath(client)+"/"+id, nil, o)
}

// ImportCards is POST .../rollout-jobs with a text/csv body (an import, ext); query is the query
// string as it goes on the wire ("" or "?policyExtId=p1").
func (a *API) ImportCards(t T, client, query string, csv []byte, o ...Option) Reply[RolloutJob] {
	r := Request{Method: http.MethodPost, Path: RolloutJobsPath(client) + query, Body: csv,
		Header: http.Header{"Content-Type": {"text/csv"}}}
	for _, opt := range o {
		opt(&r)
	}
	return Reply[RolloutJob]{a.Do(t, r)}
}
