package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/listing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/rollout"
)

// maxJobBodyBytes bounds the JSON body of a job (API.md section 11.1): 10,000 users fit.
const maxJobBodyBytes = 1 << 20

// rolloutJobJSON is a rollout job on the wire.
type rolloutJobJSON struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	Total        int    `json:"total"`
	Done         int    `json:"done"`
	Failed       int    `json:"failed"`
	PrintBatchID string `json:"printBatchId,omitempty"`
	PolicyExtID  string `json:"policyExtId,omitempty"`
	CreatedBy    string `json:"createdBy"`
	Created      string `json:"created"`
	Started      string `json:"started,omitempty"`
	Finished     string `json:"finished,omitempty"`
}

func rolloutJobWire(j rollout.Job) rolloutJobJSON {
	return rolloutJobJSON{ID: j.ID, Kind: string(j.Kind), Status: string(j.Status), Total: j.Total, Done: j.Done,
		Failed: j.Failed, PrintBatchID: j.PrintBatchID, PolicyExtID: j.PolicyExtID, CreatedBy: j.CreatedBy.Subject,
		Created: timeJSON(j.Created), Started: optTimeJSON(j.Started), Finished: optTimeJSON(j.Finished)}
}

func rolloutJobsWire(res listing.Result[rollout.Job]) listJSON[rolloutJobJSON] {
	return listOf(res, rolloutJobWire)
}

func rolloutJobLocation(j rollout.Job) string {
	return auditPath + "/" + j.ClientExtID + "/rollout-jobs/" + j.ID
}

// accepted answers 202 with the job's Location: the job runs in the background.
func accepted(c *gin.Context, j rollout.Job) {
	c.Header("Location", rolloutJobLocation(j))
	c.JSON(http.StatusAccepted, rolloutJobWire(j))
}

// rolloutJobBody is the JSON body of POST .../rollout-jobs.
type rolloutJobBody struct {
	Kind                string    `json:"kind"`
	Users               *[]string `json:"users"`
	Selection           string    `json:"selection"`
	PolicyExtID         string    `json:"policyExtId"`
	ModificationComment string    `json:"modificationComment"`
}

func createRolloutJobCommand(c *gin.Context) (approllout.CreateCommand, error) {
	client, err := clientPath(c)
	if err != nil {
		return approllout.CreateCommand{}, err
	}
	var body rolloutJobBody
	if err := decodeBodyUpTo(c, &body, maxJobBodyBytes); err != nil {
		return approllout.CreateCommand{}, err
	}
	r := rollout.Request{Kind: rollout.Kind(body.Kind), Selection: rollout.Selection(body.Selection),
		PolicyExtID: body.PolicyExtID, Comment: body.ModificationComment}
	if body.Users != nil {
		r.Users = *body.Users
		if r.Users == nil {
			r.Users = []string{} // "users": null is given, and empty
		}
	}
	return approllout.CreateCommand{Caller: callerOf(c), ClientExtID: client, Request: r}, nil
}

func listRolloutJobsQuery(c *gin.Context) (approllout.ListJobsQuery, error) {
	client, page, err := withPage(c, clientPath)
	return approllout.ListJobsQuery{Caller: callerOf(c), ClientExtID: client, Page: page}, err
}

func rolloutJobQuery(c *gin.Context) (approllout.JobQuery, error) {
	client, err := clientPath(c)
	return approllout.JobQuery{Caller: callerOf(c), ClientExtID: client, ID: c.Param("jobId")}, err
}

// rolloutItemJSON is one item of a job; never a cell.
type rolloutItemJSON struct {
	N               int    `json:"n"`
	UserExtID       string `json:"userExtId,omitempty"`
	CredentialExtID string `json:"credentialExtId,omitempty"`
	SerialNumber    string `json:"serialNumber,omitempty"`
	Result          string `json:"result"`
	ErrorCode       string `json:"errorCode,omitempty"`
	Row             int    `json:"row,omitempty"`
	Column          int    `json:"column,omitempty"`
}

func rolloutItemsWire(p approllout.ItemsPage) listJSON[rolloutItemJSON] {
	out := listJSON[rolloutItemJSON]{Items: make([]rolloutItemJSON, len(p.Items)), Pagination: paginationJSON{Limit: p.Limit}}
	for i, it := range p.Items {
		out.Items[i] = rolloutItemJSON{N: it.N, UserExtID: it.UserExtID, CredentialExtID: it.CredentialExtID,
			SerialNumber: it.SerialNumber, Result: string(it.Result), ErrorCode: it.ErrorCode, Row: it.Row, Column: it.Column}
	}
	if p.Next > 0 {
		out.Pagination.ContinuationToken = encodeCursor(listing.Cursor{ExtID: strconv.Itoa(p.Next)})
	}
	return out
}

func listRolloutItemsQuery(c *gin.Context) (approllout.ItemsQuery, error) {
	q, err := rolloutJobQuery(c)
	if err != nil {
		return approllout.ItemsQuery{}, err
	}
	page, err := pageOf(c)
	if err != nil {
		return approllout.ItemsQuery{}, err
	}
	items := approllout.ItemsQuery{Caller: q.Caller, ClientExtID: q.ClientExtID, JobID: q.ID, Limit: page.Limit}
	if page.After != nil {
		if items.After, err = strconv.Atoi(page.After.ExtID); err != nil || items.After < 1 {
			return items, fmt.Errorf("%w: continuationToken is not one this list issued", errInvalidData)
		}
	}
	if v, ok := c.GetQuery("result"); ok {
		r, known := rollout.ParseResult(v)
		if !known {
			return items, fmt.Errorf("%w: result must be pending, issued, renewed, imported, skipped or failed", errInvalidData)
		}
		items.Result = r
	}
	return items, nil
}
