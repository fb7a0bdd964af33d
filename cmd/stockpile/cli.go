package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/check"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/tufclient"
	"github.com/stockpile/stockpile/upstream"
)

// Exit codes, as the command-line contract fixes them.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2 // bad usage or invalid configuration
	exitVerifyFail = 3
)

// env is what a command may touch of the process, passed in so that tests
// run commands in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (e *env) logger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// sourceDateEpoch returns SOURCE_DATE_EPOCH as a time, or the zero time when unset.
func (e *env) sourceDateEpoch() (time.Time, error) {
	s := e.getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)}
	}
	return time.Unix(n, 0).UTC(), nil
}

// now returns SOURCE_DATE_EPOCH as a time, or the clock when unset: for
// commands that stamp what they make (keys, roots, refreshed signatures).
func (e *env) now() (time.Time, error) {
	now, err := e.sourceDateEpoch()
	if err == nil && now.IsZero() {
		now = time.Now()
	}
	return now, err
}

func (e *env) cacheDir(flagValue, dir string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := e.getenv("STOCKPILE_CACHE_DIR"); v != "" {
		return v
	}
	return dir + "/.stockpile/cache"
}

// usageError is a mistake in how the command was called.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

type command struct {
	name, args, help string
	run              func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "[DIR]", "scaffold a registry repository with development keys", runInit},
		{"add", "[--repo R] [--url URL] FILE...", "store artifacts and write their manifests", runAdd},
		{"build", "[-o DIR] [--base-url URL] [--ref REV]", "compile the registry into a static tree", runBuild},
		{"serve", "[DIR] [--addr HOST:PORT]", "serve a built tree as the object store and CDN would", runServe},
		{"publish", "[DIR] [--to URL] [--endpoint URL] [--dry-run]", "push a built tree to S3 or a folder, safely", runPublish},
		{"check", "[--base REV] [--head REV] [--json]", "validate a change for a pull request; exit 3 if it must not merge", runCheck},
		{"sync", "[REPO...] [--commit] [--dry-run]", "write manifests for new upstream versions repos.yaml allows", runSync},
		{"keys", "create|list|export|rotate|sign-root", "manage signing keys and the TUF root", runKeys},
		{"refresh", "[-o DIR]", "re-sign time-limited metadata (TUF, apt Valid-Until) before it expires", runRefresh},
		{"get", "[--root FILE] URL TARGET [-o FILE]", "download a file of a published registry, verified with TUF", runGet},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "stockpile %s: %v\n", c.name, err)
			}
			return exitCode(err)
		}
	}
	fmt.Fprintf(e.stderr, "stockpile: unknown command %q\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// exitCode maps an error to the process exit code, in one place.
func exitCode(err error) int {
	var usage usageError
	var mismatch *artifact.MismatchError
	var verify *tufclient.VerifyError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage), config.IsInvalid(err):
		return exitUsage
	case errors.As(err, new(*check.Rejected)):
		return exitVerifyFail
	case errors.As(err, &mismatch), errors.As(err, &verify), errors.Is(err, upstream.ErrVerification):
		return exitVerifyFail
	}
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stockpile COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %-40s %s\n", c.name, c.args, c.help)
	}
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, e *env, args []string) ([]string, error) {
	fs.SetOutput(e.stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printJSON writes v as indented JSON to stdout.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func onePositional(pos []string, def string) (string, error) {
	switch len(pos) {
	case 0:
		return def, nil
	case 1:
		return pos[0], nil
	}
	return "", usageError{"too many arguments: " + strings.Join(pos[1:], " ")}
}

// progress returns a callback that redraws "label done/total" on stderr when
// stderr is a terminal, at most a few times a second, or nil otherwise.
func (e *env) progress(label string) func(done, total int) {
	f, ok := e.stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	var mu sync.Mutex
	var last time.Time
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(f, "\r%s %d/%d", label, done, total)
		if done == total {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}
