package apt

import (
	"bytes"
	"time"
)

// Redate renews the Date and Valid-Until of a Release file whose
// Valid-Until is less than half of validFor away at now, so that a
// scheduled job keeps a repository valid without rebuilding its indexes.
// It returns nil when the file has no Valid-Until or needs nothing yet.
func Redate(release []byte, now time.Time, validFor time.Duration) []byte {
	until, ok := ReleaseTime(release, "Valid-Until")
	if !ok || validFor <= 0 || until.Sub(now) > validFor/2 {
		return nil
	}
	now = now.UTC().Truncate(time.Second)
	if date, ok := ReleaseTime(release, "Date"); ok && date.After(now) {
		now = date // Date never goes backwards
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(release, []byte("\n")) {
		switch {
		case bytes.HasPrefix(line, []byte("Date:")):
			out.WriteString("Date: " + now.Format(DateFormat) + "\n")
		case bytes.HasPrefix(line, []byte("Valid-Until:")):
			out.WriteString("Valid-Until: " + now.Add(validFor).Format(DateFormat) + "\n")
		default:
			out.Write(line)
		}
	}
	return out.Bytes()
}
