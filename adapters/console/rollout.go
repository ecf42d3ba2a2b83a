package console

import (
	"context"
	"fmt"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	approllout "github.com/otpcard/otpcard/application/rollout"
)

// jobLine is a rollout job as the jobs page shows it.
type jobLine struct {
	ID, Kind, Status, Created, Finished, Batch string
	Done, Total, Failed, Percent               int
	Running                                    bool
}

// jobsOf lists the client's rollout jobs, newest first, at most 100 (right RolloutView).
func jobsOf(ctx context.Context, uc *approllout.ListJobs, c caller.Caller, client string) ([]jobLine, error) {
	res, err := uc.Do(ctx, approllout.ListJobsQuery{Caller: c, ClientExtID: client, Page: listing.Page{Limit: 100}})
	if err != nil {
		return nil, err
	}
	lines := make([]jobLine, 0, len(res.Items))
	for i := len(res.Items) - 1; i >= 0; i-- {
		j := res.Items[i]
		l := jobLine{ID: j.ID, Kind: string(j.Kind), Status: string(j.Status), Created: stamp(j.Created), Finished: stamp(j.Finished),
			Batch: j.PrintBatchID, Done: j.Done, Total: j.Total, Failed: j.Failed, Running: !j.Status.Ended()}
		if j.Total > 0 {
			l.Percent = j.Done * 100 / j.Total
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// Progress is the job's progress as text: done of total, failed.
func (l jobLine) Progress() string {
	return fmt.Sprintf("%d / %d (%d%%)", l.Done, l.Total, l.Percent)
}
