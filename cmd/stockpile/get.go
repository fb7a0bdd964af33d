package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stockpile/stockpile/tufclient"
)

func runGet(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	root := fs.String("root", "tuf/root.json", "the trusted TUF root")
	out := fs.String("o", "", "where to write the file (default: its name, in the current folder)")
	metaDir := fs.String("metadata-dir", "", "keep trusted metadata here between runs (default: the user cache folder)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{"get: want URL TARGET"}
	}
	url, target := pos[0], strings.TrimPrefix(pos[1], "/")
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return usageError{fmt.Sprintf("get: %q is not an http(s) URL", url)}
	}
	rootBytes, err := os.ReadFile(*root)
	if err != nil {
		return usageError{fmt.Sprintf("get: trusted root: %v (give one with --root FILE)", err)}
	}
	if *out == "" {
		*out = path.Base(target)
	}
	if *metaDir == "" {
		*metaDir = defaultMetadataDir(url)
	}
	res, err := tufclient.Get(ctx, tufclient.Options{URL: url, Root: rootBytes, Target: target, Out: *out, MetadataDir: *metaDir})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: verified (%d bytes, sha256 %s), written to %s\n", res.Target, res.Length, res.SHA256, res.Out)
	if *asJSON {
		return printJSON(e.stdout, res)
	}
	return nil
}

// defaultMetadataDir keeps one registry's trusted metadata apart from
// another's, or returns "" (no memory between runs) without a cache folder.
func defaultMetadataDir(url string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	name := strings.NewReplacer("://", "_", "/", "_", ":", "_").Replace(strings.TrimSuffix(url, "/"))
	return filepath.Join(dir, "stockpile", "tuf", name)
}
