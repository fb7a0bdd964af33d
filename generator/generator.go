// Package generator compiles a registry repository into a static tree. It is
// the one package that knows every other: config and manifests in, artifacts
// resolved and read, indexes per format, signatures, site, tree on disk.
package generator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/npm"
	"github.com/stockpile/stockpile/formats/pypi"
	"github.com/stockpile/stockpile/formats/yum"
	"github.com/stockpile/stockpile/signing"
	"github.com/stockpile/stockpile/signing/tuf"
	"github.com/stockpile/stockpile/source"
)

// Options configure a build.
type Options struct {
	Dir      string // the registry repository
	Ref      string // commit to build; "" builds the working tree
	Out      string // output folder
	BaseURL  string // overrides base_url of repos.yaml when set
	CacheDir string // artifact and metadata cache

	// Now fixes the build time (SOURCE_DATE_EPOCH). When zero, the commit
	// time is used for --ref builds and Clock otherwise.
	Now    time.Time
	Clock  func() time.Time
	Getenv func(string) string
	Log    *slog.Logger
	// Progress, when set, is told how many artifacts of how many are
	// resolved; the CLI draws it on a terminal.
	Progress func(done, total int)
	// Unsigned builds without loading any private key: no OpenPGP
	// signatures or public keys, no npm registry signatures. For checks
	// that run where no secrets are (pull requests from forks).
	Unsigned bool
	// Temporary says the output folder is thrown away after the build, so
	// no note of what was written into it is kept in the cache.
	Temporary bool
	// State reads the published tree, from which TUF versions continue;
	// when nil, the output folder's previous contents are used.
	State tuf.ReadFunc
}

// Report says what a build did.
type Report struct {
	Commit       string             `json:"commit,omitempty"`
	Time         time.Time          `json:"time"`
	Out          string             `json:"out"`
	Repositories []RepositoryReport `json:"repositories"`
	Files        int                `json:"files"`
	Written      int                `json:"written"`
	Unchanged    int                `json:"unchanged"`
	Removed      int                `json:"removed"`
	TUF          *tuf.Report        `json:"tuf,omitempty"`
}

// RepositoryReport describes one built repository.
type RepositoryReport struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	Artifacts int    `json:"artifacts"`
	Supported bool   `json:"supported"`
}

// Formats wires each repository format to its implementation. Formats not
// listed here are accepted by repos.yaml but cannot hold artifacts yet.
func Formats() map[string]formats.Format {
	return map[string]formats.Format{
		"apt":  apt.New(),  // Debian/Ubuntu: Packages, Release, InRelease
		"pypi": pypi.New(), // Python: PEP 503/691 simple pages, wheels, sdists
		"npm":  npm.New(),  // npm, yarn, pnpm: packuments, tarballs, registry signatures
		"yum":  yum.New(),  // dnf, yum, zypper: rpm-md repodata, signed repomd.xml
	}
}

// Build runs the pipeline, in order.
func Build(ctx context.Context, opts Options) (*Report, error) {
	b, err := newBuild(opts)
	if err != nil {
		return nil, err
	}
	defer b.snap.Close()
	defer b.resolver.Close()
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"load", b.load},       // repos.yaml and manifests
		{"resolve", b.resolve}, // fetch, verify and read every artifact
		{"index", b.index},     // index files per repository and format
		{"site", b.site},       // the browse site
		{"sign", b.sign},       // OpenPGP signatures and public keys
		{"tuf", b.tuf},         // TUF metadata over every file
		{"write", b.write},     // the tree on disk, only changed files
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := s.run(ctx); err != nil {
			return nil, err
		}
		b.log.Debug("build step", "step", s.name, "took", time.Since(start).Round(time.Millisecond))
	}
	return b.report, nil
}

// build is the state of one run of the pipeline.
type build struct {
	opts     Options
	log      *slog.Logger
	snap     *source.Snapshot
	reg      *config.Registry
	formats  map[string]formats.Format
	resolver *artifact.Resolver
	byRepo   map[string][]*formats.Artifact
	added    map[string]time.Time // manifest path → when it entered Git
	compress *dist.Compressor
	meta     *metaCache
	tree     *dist.Tree
	roots    [][]byte // TUF root versions from the repository, read once
	now      time.Time
	report   *Report
}

func newBuild(opts Options) (*build, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(opts.Dir, ".stockpile", "cache")
	}
	snap, err := source.Open(opts.Dir, opts.Ref)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = snap.Time
	}
	if now.IsZero() {
		now = opts.Clock()
	}
	now = now.UTC().Truncate(time.Second)
	return &build{
		opts:    opts,
		log:     opts.Log,
		snap:    snap,
		formats: Formats(),
		resolver: artifact.New(artifact.Options{
			CacheDir: opts.CacheDir,
			Root:     snap.FS,
			RootDir:  snap.Dir,
			Clock:    opts.Clock,
		}),
		tree:     dist.NewTree(),
		compress: dist.NewCompressor(filepath.Join(opts.CacheDir, "compress")),
		meta:     newMetaCache(filepath.Join(opts.CacheDir, "meta", metaCacheVersion)),
		now:      now,
		report:   &Report{Commit: snap.Commit, Time: now, Out: opts.Out},
	}, nil
}

func (b *build) load(ctx context.Context) error {
	reg, err := config.Load(b.snap.FS)
	if err != nil {
		return err
	}
	if b.opts.BaseURL != "" {
		reg.BaseURL = b.opts.BaseURL
		if reg.BaseURL[len(reg.BaseURL)-1] != '/' {
			reg.BaseURL += "/"
		}
	}
	var errs []error
	for _, m := range reg.Manifests {
		repo := reg.Repository(m.Repo)
		if _, ok := b.formats[repo.Format]; !ok {
			errs = append(errs, m.Errorf("file", "repository %q: the %s format is not supported yet", repo.Name, repo.Format))
		}
	}
	b.reg = reg
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.added, err = source.AddedTimes(b.opts.Dir, b.opts.Ref, config.ManifestDir, b.opts.CacheDir)
	return err
}

func (b *build) index(ctx context.Context) error {
	fb := &formats.Build{
		Now:      b.now,
		BaseURL:  b.reg.BaseURL,
		Compress: b.compress,
		Previous: b.previous,
		ReadSource: func(p string) ([]byte, error) {
			return fs.ReadFile(b.snap.FS, p)
		},
	}
	// npm's registry signatures live inside the packuments, so the key is
	// needed while indexing, not in the sign step.
	if ref := b.reg.Signing.NPM; ref != "" && !b.opts.Unsigned {
		k, err := signing.LoadECDSA(ref, b.opts.Dir, b.opts.Getenv)
		if err != nil {
			return err
		}
		fb.RegistryKey = k
	}
	var errs []error
	for _, repo := range b.reg.Repositories {
		f, ok := b.formats[repo.Format]
		arts := b.byRepo[repo.Name]
		b.report.Repositories = append(b.report.Repositories, RepositoryReport{
			Name: repo.Name, Format: repo.Format, Artifacts: len(arts), Supported: ok,
		})
		if !ok {
			b.log.Debug("format not supported yet; repository left out", "repository", repo.Name, "format", repo.Format)
			continue
		}
		if err := f.Index(fb, repo, arts, b.tree); err != nil {
			errs = append(errs, fmt.Errorf("repository %q: %w", repo.Name, err))
		}
	}
	return errors.Join(errs...)
}

// writeRecord names the file where Write notes what it left in the output
// folder, one per output folder.
func (b *build) writeRecord() string {
	if b.opts.Temporary {
		return ""
	}
	abs, err := filepath.Abs(b.opts.Out)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(b.opts.CacheDir, "written", hex.EncodeToString(sum[:8]))
}

// previous reads a file of the tree the last build wrote into the output.
func (b *build) previous(p string) ([]byte, error) {
	if !dist.ValidPath(p) {
		return nil, fs.ErrInvalid
	}
	return os.ReadFile(filepath.Join(b.opts.Out, filepath.FromSlash(p)))
}

func (b *build) sign(ctx context.Context) error {
	if len(b.tree.SignRequests()) == 0 || b.opts.Unsigned {
		return nil
	}
	var key *signing.OpenPGP
	if ref := b.reg.Signing.OpenPGP; ref != "" {
		k, err := signing.LoadOpenPGP(ref, b.opts.Dir, b.opts.Getenv)
		if err != nil {
			return err
		}
		key = k
	}
	return signing.Apply(b.tree, key, b.now)
}

func (b *build) write(ctx context.Context) error {
	st, err := dist.Write(b.opts.Out, b.tree, b.writeRecord())
	if err != nil {
		return err
	}
	cs := b.compress.Stats()
	b.log.Debug("compression", "chunks", cs.Chunks, "compressed", cs.Compressed, "memory hits", cs.MemoryHits, "disk hits", cs.DiskHits, "cache errors", cs.CacheErrors)
	// Compressed chunks this build did not use belong to older indexes.
	if _, err := b.compress.Prune(); err != nil {
		b.log.Warn("compression cache not pruned", "err", err)
	}
	b.report.Files = len(b.tree.Files())
	b.report.Written, b.report.Unchanged, b.report.Removed = st.Written, st.Unchanged, st.Removed
	return nil
}
