package httpapi

import (
	"archive/tar"
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/listing"
	appprinting "github.com/otpcard/otpcard/application/printing"
	"github.com/otpcard/otpcard/domain/printing"
)

// printBatchJSON is a print batch on the wire (API.md section 11.2); never its content.
type printBatchJSON struct {
	ID      string `json:"id"`
	JobID   string `json:"jobId,omitempty"`
	Created string `json:"created"`
	Letters int    `json:"letters"`
	Chunks  int    `json:"chunks"`
	Sealed  bool   `json:"sealed"`
	Expires string `json:"expires"`
}

func printBatchWire(b printing.Batch) printBatchJSON {
	return printBatchJSON{ID: b.ID, JobID: b.JobID, Created: timeJSON(b.Created), Letters: b.Letters, Chunks: b.Chunks,
		Sealed: b.Sealed, Expires: timeJSON(b.Expires)}
}

func printBatchesWire(res listing.Result[printing.Batch]) listJSON[printBatchJSON] {
	return listOf(res, printBatchWire)
}

func listPrintBatchesQuery(c *gin.Context) (appprinting.ListBatchesQuery, error) {
	client, page, err := withPage(c, clientPath)
	return appprinting.ListBatchesQuery{Caller: callerOf(c), ClientExtID: client, Page: page}, err
}

func printBatchQuery(c *gin.Context) (appprinting.BatchQuery, error) {
	client, err := clientPath(c)
	return appprinting.BatchQuery{Caller: callerOf(c), ClientExtID: client, ID: c.Param("batchId"),
		HeadOnly: c.Request.Method == http.MethodHead}, err
}

// streamBatch writes a sealed batch as a tar of its encrypted chunks, letters-0001.pdf.age and
// manifest-0001.csv.age for each chunk in order. The status is sent before the first chunk is
// read; a failure after that can only cut the stream short, which the tar's missing end shows.
func streamBatch(w writeErr) func(*gin.Context, appprinting.Content) {
	return func(c *gin.Context, content appprinting.Content) {
		c.Header("Content-Type", "application/octet-stream")
		c.Header("Content-Disposition", `attachment; filename="print-batch-`+content.Batch.ID+`.tar"`)
		c.Status(http.StatusOK)
		if c.Request.Method == http.MethodHead {
			return
		}
		tw := tar.NewWriter(c.Writer)
		modified := content.Batch.Created
		rc := http.NewResponseController(c.Writer)
		// A batch may be large: no request deadline, but each chunk must be written within a minute.
		err := content.Each(context.WithoutCancel(c.Request.Context()), func(n int, letters, manifest []byte) error {
			_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
			for _, part := range []struct {
				name string
				data []byte
			}{{printing.ChunkName("letters", n), letters}, {printing.ChunkName("manifest", n), manifest}} {
				if err := tw.WriteHeader(&tar.Header{Name: part.name, Mode: 0o600, Size: int64(len(part.data)), ModTime: modified}); err != nil {
					return err
				}
				if _, err := tw.Write(part.data); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			err = tw.Close()
		}
		if err != nil {
			_ = c.Error(err) // the access log records the broken download; the status is gone already
		}
	}
}
