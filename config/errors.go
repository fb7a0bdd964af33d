package config

import (
	"errors"
	"fmt"
	"sort"
)

// Error is one problem in repos.yaml or a manifest, located by file and line.
type Error struct {
	File string
	Line int // 0 when the problem concerns the whole file
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// problems collects every error found while loading, so that all of them are
// reported at once.
type problems []*Error

func (p *problems) add(file string, line int, format string, args ...any) {
	*p = append(*p, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by file and line, joined, or nil.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].File != p[j].File {
			return p[i].File < p[j].File
		}
		return p[i].Line < p[j].Line
	})
	errs := make([]error, len(p))
	for i, e := range p {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// IsInvalid reports whether err contains at least one configuration Error.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
