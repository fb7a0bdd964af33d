package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stockpile/stockpile/generator"
	"github.com/stockpile/stockpile/upstream"
)

func runSync(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository")
	commit := fs.Bool("commit", false, "commit the new manifests on a new branch made from HEAD (the working tree is left alone)")
	branch := fs.String("branch", "", "branch for --commit (default sync/<date>)")
	author := fs.String("author", "", `commit author "Name <email>" (default: upstream author in repos.yaml, then git config)`)
	dryRun := fs.Bool("dry-run", false, "read the upstreams and report; download and write nothing")
	cache := fs.String("cache-dir", "", "artifact cache (default .stockpile/cache, or $STOCKPILE_CACHE_DIR)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	verbose := fs.Bool("v", false, "log each step")
	repos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if (*branch != "" || *author != "") && !*commit {
		return usageError{"sync: --branch and --author go with --commit"}
	}
	// SOURCE_DATE_EPOCH fixes the clock, for reproducible runs.
	now, err := e.sourceDateEpoch()
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now().UTC()
	}
	report, err := generator.Sync(ctx, generator.SyncOptions{
		Dir: *dir, Repos: repos, CacheDir: e.cacheDir(*cache, *dir), Now: now,
		DryRun: *dryRun, Commit: *commit, Branch: *branch, Author: *author,
		Log: e.logger(*verbose),
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, report)
	}
	printSync(e.stdout, report)
	return nil
}

// printSync writes the report for people: a summary per repository, a line
// per file mirrored, held back or in conflict.
func printSync(w io.Writer, r *generator.SyncReport) {
	verb := "mirrored"
	if r.DryRun {
		verb = "would mirror"
	}
	for _, repo := range r.Repositories {
		counts := map[upstream.Status]int{}
		for _, f := range repo.Files {
			counts[f.Status]++
		}
		var parts []string
		for _, s := range []upstream.Status{upstream.Selected, upstream.Present, upstream.Cooldown, upstream.Excluded,
			upstream.Older, upstream.Prerelease, upstream.Yanked, upstream.Changed} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		if len(parts) == 0 {
			parts = []string{"nothing listed"}
		}
		fmt.Fprintf(w, "%s (%s): %s\n", repo.Name, repo.Upstream, strings.Join(parts, ", "))
		for _, f := range repo.Files {
			switch f.Status {
			case upstream.Selected:
				fmt.Fprintf(w, "  %s %s %s (%s)", verb, f.Package, f.Version, f.File)
				if f.Manifest != "" {
					fmt.Fprintf(w, " -> %s", f.Manifest)
				}
				fmt.Fprintln(w)
			case upstream.Cooldown:
				until := "publish time unknown"
				if f.Until != "" {
					until = "until " + f.Until
				}
				fmt.Fprintf(w, "  cooldown %s %s (%s): %s\n", f.Package, f.Version, f.File, until)
			case upstream.Changed:
				fmt.Fprintf(w, "  changed upstream %s %s (%s): %s lists other bytes; not mirrored\n", f.Package, f.Version, f.File, f.Manifest)
			}
		}
		for _, m := range repo.Missing {
			fmt.Fprintf(w, "  not found upstream: %s\n", m)
		}
	}
	switch {
	case r.Commit != "":
		fmt.Fprintf(w, "committed %d manifest(s) on branch %s (%s); the working tree is unchanged\n", r.Written, r.Branch, r.Commit[:12])
		fmt.Fprintf(w, "  publish it for review: git push origin %s\n", r.Branch)
	case r.DryRun:
		fmt.Fprintln(w, "dry run: nothing downloaded or written")
	case r.Written == 0:
		fmt.Fprintln(w, "nothing new to mirror")
	default:
		fmt.Fprintf(w, "wrote %d manifest(s)\n", r.Written)
	}
}
