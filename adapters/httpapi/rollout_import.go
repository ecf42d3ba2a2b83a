package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/extid"
)

// maxImportBytes bounds an import file (API.md section 11.1).
const maxImportBytes = 50 << 20

// importHeader is the header row an import file starts with.
var importHeader = []string{"userExtId", "extId", "serialNumber", "stateName", "validTo", "cells"}

// createRolloutJob answers POST .../rollout-jobs: a JSON body is a job of kind issue or renew,
// a text/csv body an import. Any other content type is 415.
func createRolloutJob(w writeErr, uc approllout.UseCases) gin.HandlerFunc {
	create := serve(w, uc.CreateJob, createRolloutJobCommand, accepted)
	imp := serve(w, uc.ImportJob, importCommand, accepted)
	return func(c *gin.Context) {
		mediaType, _, _ := mime.ParseMediaType(c.Request.Header.Get("Content-Type"))
		switch mediaType {
		case "text/csv":
			imp(c)
		case "application/json":
			create(c)
		case "":
			create(c) // no body, or a body of no type: what JSON decoding answers (400 or 415)
		default: // before the size: a body of another type is refused for its type, however long
			w(c, fmt.Errorf("%w: send a job as application/json, or an import as text/csv", errMediaType))
		}
	}
}

// importCommand reads an import's query and hands the use case the file's rows to range over:
// nothing of the body is read until the use case has authorized the caller. The upload has no
// request deadline (a large file takes minutes to hash); each row must arrive within a minute.
func importCommand(c *gin.Context) (approllout.ImportCommand, error) {
	client, err := clientPath(c)
	if err != nil {
		return approllout.ImportCommand{}, err
	}
	policy := c.Query("policyExtId")
	if _, given := c.GetQuery("policyExtId"); given {
		if err := extid.Validate(policy); err != nil {
			return approllout.ImportCommand{}, fmt.Errorf("%w: policyExtId: %v", errInvalidData, err)
		}
	}
	if c.Request.ContentLength > maxImportBytes {
		return approllout.ImportCommand{}, fmt.Errorf("%w: an import file has at most %d bytes", errTooLarge, maxImportBytes)
	}
	c.Request = c.Request.WithContext(withoutDeadline(c.Request.Context()))
	rc := http.NewResponseController(c.Writer)
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxImportBytes)
	return approllout.ImportCommand{Caller: callerOf(c), ClientExtID: client, PolicyExtID: policy,
		Rows: importRows(body, func() { _ = rc.SetReadDeadline(time.Now().Add(time.Minute)) })}, nil
}

// importRows reads an import file as RFC 4180 CSV with its header; an error ends the rows: the
// file is broken and no job may come of it. No error repeats a value of the file.
func importRows(body io.Reader, extend func()) iter.Seq2[approllout.ImportRow, error] {
	return func(yield func(approllout.ImportRow, error) bool) {
		extend()
		r := csv.NewReader(body)
		r.FieldsPerRecord = len(importHeader)
		r.ReuseRecord = true
		header, err := r.Read()
		switch {
		case errors.Is(err, io.EOF):
			yield(approllout.ImportRow{}, fmt.Errorf("%w: the file is empty; it starts with the header %s", errInvalidData, strings.Join(importHeader, ",")))
			return
		case err != nil:
			yield(approllout.ImportRow{}, csvError(err))
			return
		}
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte-order mark some spreadsheets write
		for i, name := range importHeader {
			if header[i] != name {
				yield(approllout.ImportRow{}, fmt.Errorf("%w: the header must be %s", errInvalidData, strings.Join(importHeader, ",")))
				return
			}
		}
		for {
			extend()
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(approllout.ImportRow{}, csvError(err))
				return
			}
			line, _ := r.FieldPos(0)
			row := approllout.ImportRow{Row: line, UserExtID: rec[0], ExtID: rec[1], SerialNumber: rec[2], StateName: rec[3],
				ValidTo: rec[4], Cells: rec[5]}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// csvError says where a file stops being CSV, or that it is too large; never what it holds.
func csvError(err error) error {
	var tooLarge *http.MaxBytesError
	var parse *csv.ParseError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: an import file has at most %d bytes", errTooLarge, maxImportBytes)
	case errors.As(err, &parse) && errors.Is(parse.Err, csv.ErrFieldCount):
		return fmt.Errorf("%w: row %d does not have the %d fields %s", errInvalidData, parse.StartLine, len(importHeader), strings.Join(importHeader, ","))
	case errors.As(err, &parse):
		return fmt.Errorf("%w: row %d, column %d is not CSV (RFC 4180): %v", errInvalidData, parse.StartLine, parse.Column, parse.Err)
	}
	return fmt.Errorf("%w: the file could not be read", errInvalidData)
}

// withoutDeadline is ctx without the request deadline (deadline), still cancelled when the
// client goes away or the request ends.
func withoutDeadline(ctx context.Context) context.Context {
	free, cancel := context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return free
}
