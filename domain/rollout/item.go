package rollout

// Result is what became of an item; an item not tried yet has ResultPending.
type Result string

// The results of an item.
const (
	ResultPending  Result = "pending"
	ResultIssued   Result = "issued"
	ResultRenewed  Result = "renewed"
	ResultImported Result = "imported"
	ResultSkipped  Result = "skipped"
	ResultFailed   Result = "failed"
)

// ParseResult reads a result filter.
func ParseResult(s string) (Result, bool) {
	for _, r := range []Result{ResultPending, ResultIssued, ResultRenewed, ResultImported, ResultSkipped, ResultFailed} {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Item is one user's part of a job. It never holds a cell.
type Item struct {
	JobID string
	// N numbers the items of a job from 1, in the order they are tried.
	N         int
	UserExtID string
	// TargetExtID is the card a renewal renews, when the job's selection named it; empty: the
	// card a challenge would ask.
	TargetExtID string
	// CredentialExtID and SerialNumber name the card the item issued, renewed or imported.
	CredentialExtID, SerialNumber string
	Result                        Result
	// ErrorCode is the errors.* code of a failed (or skipped) item.
	ErrorCode string
	// Row and Column locate an import item's problem in the file (from 1; 0: none).
	Row, Column int
}

// Tried reports whether the item has its result.
func (i Item) Tried() bool { return i.Result != ResultPending && i.Result != "" }
