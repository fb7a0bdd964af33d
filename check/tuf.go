package check

import (
	"context"
	"time"

	"github.com/stockpile/stockpile/generator"
	"github.com/stockpile/stockpile/signing/tuf"
)

// tufRule checks the TUF roots a change carries: the chain of roots must
// verify, and a root being signed by several holders is reported with the
// signatures it still needs (collecting them one commit at a time is
// expected, so that is a notice, not a refusal).
func tufRule(now func() time.Time) Rule {
	return Rule{Name: "tuf", Run: func(ctx context.Context, c *Change) ([]Finding, error) {
		if c.HeadRegistry == nil || c.HeadRegistry.Signing.TUF == nil {
			return nil, nil
		}
		var found []Finding
		if err := generator.VerifyRootHistory(c.HeadFS, now()); err != nil {
			found = append(found, Finding{Severity: SeverityError, File: tuf.RootFile, Message: err.Error()})
		}
		st, err := generator.StagedRootStatus(c.HeadFS)
		if err != nil {
			found = append(found, Finding{Severity: SeverityError, File: tuf.StagedRoot, Message: err.Error()})
		} else if st != nil {
			found = append(found, Finding{Severity: SeverityNotice, File: tuf.StagedRoot, Message: st.String()})
		}
		return found, nil
	}}
}
