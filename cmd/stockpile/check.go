package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stockpile/stockpile/check"
)

func runCheck(ctx context.Context, e *env, args []string) error {
	inActions := e.getenv("GITHUB_ACTIONS") == "true"
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository (a Git checkout or bare repository)")
	base := fs.String("base", "", "revision to compare with (default: origin/$GITHUB_BASE_REF in GitHub Actions, else origin/main unless it is the head, else the head's parent)")
	head := fs.String("head", "", "revision holding the change (default HEAD)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	markdown := fs.String("markdown", "", "write a Markdown summary of the change to `FILE`")
	annotate := fs.Bool("github-annotations", inActions, "print GitHub Actions annotations for each finding (default on in GitHub Actions)")
	cache := fs.String("cache-dir", "", "artifact and metadata cache (default .stockpile/cache, or $STOCKPILE_CACHE_DIR)")
	published := fs.String("published", "", "public `URL` of the published tree: refuse artifacts published there with other bytes")
	verbose := fs.Bool("v", false, "log each build step")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"check takes no arguments; use --base and --head"}
	}
	now, err := e.sourceDateEpoch()
	if err != nil {
		return err
	}
	report, err := check.Run(ctx, check.Options{
		Dir: *dir, Base: *base, Head: *head, CacheDir: e.cacheDir(*cache, *dir),
		Published: *published, Now: now, Getenv: e.getenv, Log: e.logger(*verbose),
		Progress: e.progress("resolving artifacts"),
	})
	if report == nil {
		return err
	}
	report.Summary(e.stderr)
	if *annotate {
		// Workflow commands work on either stream; keep stdout for JSON.
		w := e.stdout
		if *asJSON {
			w = e.stderr
		}
		report.Annotations(w)
	}
	var md bytes.Buffer
	report.Markdown(&md)
	if *markdown != "" {
		if werr := os.WriteFile(*markdown, md.Bytes(), 0o644); werr != nil {
			return fmt.Errorf("markdown summary: %w", werr)
		}
	}
	if summary := e.getenv("GITHUB_STEP_SUMMARY"); inActions && summary != "" {
		if werr := appendFile(summary, md.Bytes()); werr != nil {
			return fmt.Errorf("step summary: %w", werr)
		}
	}
	if *asJSON {
		if jerr := printJSON(e.stdout, report); jerr != nil {
			return jerr
		}
	}
	return err
}

func appendFile(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
