package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/extid"
)

// pageOf reads limit and continuationToken.
func pageOf(c *gin.Context) (listing.Page, error) {
	page := listing.Page{Limit: listing.DefaultLimit}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listing.MaxLimit || len(v) > 4 {
			return page, fmt.Errorf("%w: limit must be an integer from 1 to %d", errInvalidData, listing.MaxLimit)
		}
		page.Limit = n
	}
	if v, ok := c.GetQuery("continuationToken"); ok {
		cur, err := decodeCursor(v)
		if err != nil {
			return page, fmt.Errorf("%w: continuationToken is not one this service issued", errInvalidData)
		}
		page.After = &cur
	}
	return page, nil
}

// withPage reads a list request: what of it selects the items, with sel (the path, or the query's
// filters), then the page.
func withPage[S any](c *gin.Context, sel func(*gin.Context) (S, error)) (S, listing.Page, error) {
	s, err := sel(c)
	if err != nil {
		return s, listing.Page{}, err
	}
	page, err := pageOf(c)
	return s, page, err
}

type cursorJSON struct {
	Created string `json:"c"`
	ExtID   string `json:"e"`
}

func encodeCursor(c listing.Cursor) string {
	b, _ := json.Marshal(cursorJSON{Created: c.Created.UTC().Format(time.RFC3339Nano), ExtID: c.ExtID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (listing.Cursor, error) {
	if len(s) > 512 {
		return listing.Cursor{}, fmt.Errorf("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listing.Cursor{}, err
	}
	var cj cursorJSON
	if err := json.Unmarshal(b, &cj); err != nil {
		return listing.Cursor{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, cj.Created)
	if err != nil {
		return listing.Cursor{}, err
	}
	if err := extid.Validate(cj.ExtID); err != nil {
		return listing.Cursor{}, err
	}
	return listing.Cursor{Created: t, ExtID: cj.ExtID}, nil
}

// listJSON is the nevisIDM list envelope.
type listJSON[T any] struct {
	Items      []T            `json:"items"`
	Pagination paginationJSON `json:"_pagination"`
}

type paginationJSON struct {
	ContinuationToken string `json:"continuationToken,omitempty"`
	Limit             int    `json:"limit"`
}

func listOf[T, W any](res listing.Result[T], wire func(T) W) listJSON[W] {
	items := make([]W, len(res.Items))
	for i, it := range res.Items {
		items[i] = wire(it)
	}
	out := listJSON[W]{Items: items, Pagination: paginationJSON{Limit: res.Limit}}
	if res.Next != nil {
		out.Pagination.ContinuationToken = encodeCursor(*res.Next)
	}
	return out
}

// timeJSON renders a time as RFC 3339 in UTC with seconds.
func timeJSON(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// optTimeJSON renders a time, or nothing for the zero time.
func optTimeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timeJSON(t)
}
