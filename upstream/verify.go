package upstream

import (
	"fmt"
	"strconv"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/digest"
)

// MismatchError reports downloaded bytes that differ from what the upstream
// lists for them. It wraps ErrVerification and an *artifact.MismatchError,
// so callers treat it like any other verification failure.
type MismatchError struct {
	URL   string // where the bytes came from
	Index string // the upstream document that lists the hash
	Field string // "size", "sha256", "sha512" or "sha1"
	Want  string // the upstream's value
	Got   string // the downloaded bytes' value
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: upstream %s lists %s %s, the downloaded bytes have %s %s", e.URL, e.Index, e.Field, e.Want, e.Field, e.Got)
}

func (e *MismatchError) Unwrap() []error {
	return []error{ErrVerification, &artifact.MismatchError{Pos: e.Index, Source: e.URL, Field: e.Field, Want: e.Want, Got: e.Got}}
}

// Check compares the digests of downloaded bytes with every hash (and the
// size) the upstream lists for the candidate.
func (c Candidate) Check(d digest.Set) error {
	mismatch := func(field, want, got string) error {
		return &MismatchError{URL: c.URL, Index: c.Index, Field: field, Want: want, Got: got}
	}
	if c.Size >= 0 && d.Size != c.Size {
		return mismatch("size", strconv.FormatInt(c.Size, 10), strconv.FormatInt(d.Size, 10))
	}
	checked := false
	for _, h := range []struct{ name, want, got string }{
		{"sha512", c.SHA512, d.SHA512},
		{"sha256", c.SHA256, d.SHA256},
		{"sha1", c.SHA1, d.SHA1},
	} {
		if h.want == "" {
			continue
		}
		if h.want != h.got {
			return mismatch(h.name, h.want, h.got)
		}
		checked = true
	}
	if !checked {
		return fmt.Errorf("%s: upstream %s lists no hash for it: %w", c.URL, c.Index, ErrVerification)
	}
	return nil
}
