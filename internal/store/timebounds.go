package store

import (
	"fmt"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// The times a client may give (a due date, an appointment, a report's
// range): any instant outside them is a typing slip, and some cannot be
// stored and read back (SQLite keeps four-digit years; an offset can push
// 9999-12-31 into the year 10000 in UTC).
var (
	EarliestTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TimeProblem says what is wrong with a client's time t ("" if nothing).
func TimeProblem(t time.Time) string {
	if u := t.UTC(); u.Before(EarliestTime) || !u.Before(LatestTime) {
		return fmt.Sprintf("must be between %d and %d", EarliestTime.Year(), LatestTime.Year()-1)
	}
	return ""
}

// addTime adds t's problem, if any, at ptr.
func addTime(fe *apperr.FieldErrors, ptr string, t *time.Time) {
	if t != nil {
		if msg := TimeProblem(*t); msg != "" {
			fe.Add(ptr, "%s", msg)
		}
	}
}

// timeProblems is t's problem at ptr, as the domain rules list them.
func timeProblems(ptr string, t *time.Time) []referral.Problem {
	if t != nil {
		if msg := TimeProblem(*t); msg != "" {
			return []referral.Problem{{Field: ptr, Message: msg}}
		}
	}
	return nil
}
