package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/stockpile/stockpile/generator"
)

func runRefresh(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("refresh", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository")
	out := fs.String("o", "public", "the built tree to refresh")
	cache := fs.String("cache-dir", "", "artifact and metadata cache (default .stockpile/cache, or $STOCKPILE_CACHE_DIR)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	verbose := fs.Bool("v", false, "log each step")
	state := stateFlags(fs)
	if pos, err := parse(fs, e, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"refresh takes no arguments; use -C DIR and -o DIR"}
	}
	read, err := state.reader(ctx, e)
	if err != nil {
		return err
	}
	now, err := e.now()
	if err != nil {
		return err
	}
	report, err := generator.Refresh(ctx, generator.RefreshOptions{
		Dir: *dir, Out: *out, CacheDir: e.cacheDir(*cache, *dir), Now: now, Getenv: e.getenv, Log: e.logger(*verbose), State: read,
	})
	if err != nil {
		return err
	}
	signed := "nothing was close to expiry"
	if report.TUF != nil && len(report.TUF.Signed) > 0 {
		signed = "re-signed " + strings.Join(report.TUF.Signed, ", ")
	}
	fmt.Fprintf(e.stderr, "refreshed %s: %d apt Release files renewed; TUF: %s; %d files written\n", *out, len(report.Releases), signed, report.Written)
	if *asJSON {
		return printJSON(e.stdout, report)
	}
	return nil
}
