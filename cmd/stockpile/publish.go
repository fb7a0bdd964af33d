package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/publish"
)

func runPublish(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository, whose repos.yaml may hold the publish settings")
	to := fs.String("to", "", "s3://bucket/prefix, file:///path or a folder (default: publish.to of repos.yaml)")
	endpoint := fs.String("endpoint", "", "URL of an S3-compatible service; selects path-style addressing")
	region := fs.String("region", "", "S3 region")
	dryRun := fs.Bool("dry-run", false, "show what would be uploaded and deleted, write nothing")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	var grace time.Duration
	fs.Func("grace-period", "keep files that left the tree this long, e.g. 48h or 7d (default 48h)", func(s string) error {
		d, err := parseDays(s)
		grace = d
		return err
	})
	maxDeletes := fs.Int("max-deletes", publish.DefaultMaxDeletes, "delete nothing when more files than this are due (0: never delete)")
	breakLock := fs.Bool("break-lock", false, "remove the lock a killed publish left behind")
	cfDist := fs.String("cloudfront-distribution", "", "CloudFront distribution to invalidate the changed mutable paths of")
	verbose := fs.Bool("v", false, "log each step")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	tree, err := onePositional(pos, "public")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	// repos.yaml settings apply where no flag is given.
	if pub, err := publishSettings(*dir); err != nil {
		return err
	} else if pub != nil {
		if !set["to"] {
			*to = pub.To
		}
		if !set["endpoint"] {
			*endpoint = pub.Endpoint
		}
		if !set["region"] {
			*region = pub.Region
		}
		if !set["grace-period"] {
			grace = time.Duration(pub.GracePeriod)
		}
		if !set["max-deletes"] && pub.MaxDeletes != nil {
			*maxDeletes = *pub.MaxDeletes
		}
		if !set["cloudfront-distribution"] {
			*cfDist = pub.CloudFrontDistribution
		}
	}
	if *to == "" {
		return usageError{"publish: name the store with --to s3://bucket/prefix or file:///path (or publish.to in repos.yaml)"}
	}
	if *maxDeletes < 0 {
		return usageError{"publish: --max-deletes must be 0 or more"}
	} else if *maxDeletes == 0 {
		*maxDeletes = -1 // Options reads 0 as the default
	}

	store, err := publish.Open(ctx, *to, publish.OpenOptions{Endpoint: *endpoint, Region: *region, Getenv: e.getenv})
	if err != nil {
		return usageError{err.Error()}
	}
	if _, ok := store.(*publish.S3); ok {
		store = publish.NewRetry(store, 5, 0)
	}
	now := time.Now()
	report, err := publish.Publish(ctx, store, tree, publish.Options{
		Now: now, DryRun: *dryRun, GracePeriod: grace, MaxDeletes: *maxDeletes, BreakLock: *breakLock,
		Progress: e.progress("uploading"), Log: e.logger(*verbose),
	})
	if err != nil {
		return err
	}
	printPublishSummary(e, *to, report)
	if *cfDist != "" && !*dryRun {
		// An extra: a failure here leaves a correct registry that
		// clients see once the short Cache-Control of its entry points
		// runs out.
		if n, err := publish.Invalidate(ctx, *cfDist, report, now); err != nil {
			fmt.Fprintf(e.stderr, "warning: %v\n", err)
		} else if n > 0 {
			fmt.Fprintf(e.stderr, "asked CloudFront %s to invalidate %d paths\n", *cfDist, n)
		}
	}
	if *asJSON {
		return printJSON(e.stdout, report)
	}
	return nil
}

// publishSettings returns the publish section of DIR/repos.yaml, or nil
// when there is no repos.yaml.
func publishSettings(dir string) (*config.Publish, error) {
	if _, err := os.Stat(filepath.Join(dir, config.ConfigFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	reg, err := config.LoadConfig(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	return reg.Publish, nil
}

func printPublishSummary(e *env, to string, r *publish.Report) {
	w := e.stderr
	verb, pruneVerb := "published", "pruned"
	if r.DryRun {
		verb, pruneVerb = "dry run, nothing written: would publish", "would prune"
	}
	fmt.Fprintf(w, "%s %d files to %s: %d new, %d changed, %d unchanged (%s uploaded)\n",
		verb, r.Files, to, r.New, r.Changed, r.Unchanged, byteSize(r.BytesUploaded))
	if r.DryRun {
		for _, k := range r.NewKeys {
			fmt.Fprintf(w, "  new      %s\n", k)
		}
		for _, k := range r.ChangedKeys {
			fmt.Fprintf(w, "  changed  %s\n", k)
		}
	}
	fmt.Fprintf(w, "%s %d files; %d kept for the grace period\n", pruneVerb, r.Pruned, r.Kept)
	if r.DryRun {
		for _, k := range r.PrunedKeys {
			fmt.Fprintf(w, "  prune    %s\n", k)
		}
	}
	if r.PruneHeld != "" {
		fmt.Fprintf(w, "warning: %s\n", r.PruneHeld)
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseDays parses a duration that may also be written in days ("7d").
func parseDays(s string) (time.Duration, error) {
	mult := time.Duration(1)
	if v, ok := strings.CutSuffix(s, "d"); ok {
		s, mult = v+"h", 24
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 48h or 7d)", s)
	}
	return d * mult, nil
}
