package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/generator"
	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/signing/tuf"
)

func runInit(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	name := fs.String("name", "", "registry name (default: the folder's name)")
	baseURL := fs.String("base-url", "", "public URL of the built tree")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	dir, err := onePositional(pos, ".")
	if err != nil {
		return err
	}
	now, err := e.now()
	if err != nil {
		return err
	}
	if err := generator.Init(generator.InitOptions{Dir: dir, Name: *name, BaseURL: *baseURL, Now: now}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "initialized a registry in %s (development keys in %s/.stockpile, Git-ignored)\n", dir, dir)
	return nil
}

func runAdd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository")
	repo := fs.String("repo", "", "repository to add to (default: the one of the file's format)")
	url := fs.String("url", "", "record this URL as the source instead of storing the bytes under blobs/")
	suite := fs.String("suite", "", "apt suite (default: the repository's first)")
	component := fs.String("component", "", "apt component (default: the repository's first)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	files, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"add: name at least one artifact file"}
	}
	added, err := generator.Add(ctx, generator.AddOptions{
		Dir: *dir, Repo: *repo, URL: *url, Suite: *suite, Component: *component, Files: files,
	})
	for _, a := range added {
		if a.Unchanged {
			fmt.Fprintf(e.stderr, "%s: already in %s (%s)\n", a.File, a.Repo, a.Manifest)
		} else {
			fmt.Fprintf(e.stderr, "%s: added to %s (%s)\n", a.File, a.Repo, a.Manifest)
		}
	}
	if *asJSON && err == nil {
		return printJSON(e.stdout, added)
	}
	return err
}

func runBuild(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	dir := fs.String("C", ".", "the registry repository")
	out := fs.String("o", "public", "output folder")
	baseURL := fs.String("base-url", "", "public URL of the tree (overrides base_url)")
	ref := fs.String("ref", "", "build this commit instead of the working tree")
	cache := fs.String("cache-dir", "", "artifact and metadata cache (default .stockpile/cache, or $STOCKPILE_CACHE_DIR)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on stdout")
	verbose := fs.Bool("v", false, "log each step")
	state := stateFlags(fs)
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"build takes no arguments; use -C DIR for another registry"}
	}
	read, err := state.reader(ctx, e)
	if err != nil {
		return err
	}
	now, err := e.sourceDateEpoch()
	if err != nil {
		return err
	}
	start := time.Now()
	report, err := generator.Build(ctx, generator.Options{
		Dir: *dir, Ref: *ref, Out: *out, BaseURL: *baseURL,
		CacheDir: e.cacheDir(*cache, *dir), Now: now, Getenv: e.getenv, Log: e.logger(*verbose),
		Progress: e.progress("resolving artifacts"), State: read,
	})
	if err != nil {
		return err
	}
	for _, r := range report.Repositories {
		state := ""
		if !r.Supported {
			state = " (format not supported yet: left out)"
		}
		fmt.Fprintf(e.stderr, "%-12s %-5s %6d artifacts%s\n", r.Name, r.Format, r.Artifacts, state)
	}
	fmt.Fprintf(e.stderr, "built %s: %d files, %d written, %d unchanged, %d removed in %s\n",
		report.Out, report.Files, report.Written, report.Unchanged, report.Removed, time.Since(start).Round(time.Millisecond))
	if *asJSON {
		return printJSON(e.stdout, report)
	}
	return nil
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	pos, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	dir, err := onePositional(pos, "public")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: dist.Handler(dir), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stderr, "serving %s at http://%s/\n", dir, ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stateOptions name the published tree whose TUF metadata a build or
// refresh continues from.
type stateOptions struct{ url, endpoint, region *string }

func stateFlags(fs *flag.FlagSet) stateOptions {
	return stateOptions{
		url:      fs.String("state", "", "continue TUF versions from the tree published here (s3://bucket/prefix, file:///path); default: the output folder"),
		endpoint: fs.String("state-endpoint", "", "URL of the S3-compatible service of --state"),
		region:   fs.String("state-region", "", "S3 region of --state"),
	}
}

// reader opens the published tree, or returns nil for the output folder.
func (o stateOptions) reader(ctx context.Context, e *env) (tuf.ReadFunc, error) {
	if *o.url == "" {
		return nil, nil
	}
	store, err := publish.Open(ctx, *o.url, publish.OpenOptions{Endpoint: *o.endpoint, Region: *o.region, Getenv: e.getenv})
	if err != nil {
		return nil, err
	}
	return publish.Reader(ctx, store), nil
}
