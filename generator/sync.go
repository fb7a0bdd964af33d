package generator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/mail"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/source"
	"github.com/stockpile/stockpile/upstream"
)

// SyncOptions configure Sync.
type SyncOptions struct {
	Dir      string   // the registry repository
	Repos    []string // repositories to sync; empty means every one with upstream settings
	CacheDir string   // artifact cache; downloads with a known sha256 land there for the next build
	// Now is the time cooldowns and signatures are checked against, and the
	// time of the commit; it must be set.
	Now  time.Time
	HTTP *http.Client // nil means a default client
	// DryRun reads the upstreams and reports, but downloads and writes nothing.
	DryRun bool
	// Commit writes the manifests into a new commit on Branch, made from
	// HEAD, instead of into the working tree. The working tree, the index
	// and the current branch are left as they are.
	Commit bool
	Branch string // default "sync/<date of Now>"
	Author string // "Name <email>"; default: upstream author in repos.yaml, then git config
	Log    *slog.Logger
}

// SyncReport says what Sync did.
type SyncReport struct {
	Repositories []SyncRepository `json:"repositories"`
	Written      int              `json:"written"` // manifests written (or committed)
	DryRun       bool             `json:"dry_run,omitempty"`
	Branch       string           `json:"branch,omitempty"`
	Commit       string           `json:"commit,omitempty"`
}

// SyncRepository is what Sync decided for one repository.
type SyncRepository struct {
	Name     string     `json:"name"`
	Format   string     `json:"format"`
	Upstream string     `json:"upstream"`
	Files    []SyncFile `json:"files"`
	// Missing lists packages repos.yaml names that the upstream lacks.
	Missing []string `json:"missing,omitempty"`
}

// SyncFile is one upstream file and what became of it.
type SyncFile struct {
	Package  string          `json:"package"`
	Version  string          `json:"version"`
	File     string          `json:"file"`
	Status   upstream.Status `json:"status"`
	URL      string          `json:"url"`
	SHA256   string          `json:"sha256,omitempty"`
	Size     int64           `json:"size,omitempty"`
	Manifest string          `json:"manifest,omitempty"` // written, or already listing the file
	// Until is when a file held back by the cooldown may be mirrored.
	Until string `json:"until,omitempty"`
}

// Sync reads each repository's upstream, selects the versions repos.yaml
// allows that the repository does not list yet, downloads each selected
// file once, verifies it against the upstream's own hashes and the format's
// reader, and writes a manifest that points at the upstream URL with the
// verified sha256 and size.
func Sync(ctx context.Context, opts SyncOptions) (*SyncReport, error) {
	if opts.Now.IsZero() {
		return nil, errors.New("sync: no time given")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(opts.Dir, ".stockpile", "cache")
	}
	// With --commit the new commit's parent is HEAD, so HEAD says what is
	// present; otherwise the working tree does.
	rev := ""
	if opts.Commit {
		rev = "HEAD"
	}
	snap, err := source.Open(opts.Dir, rev)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	reg, err := config.Load(snap.FS)
	if err != nil {
		return nil, err
	}
	repos, err := syncRepositories(reg, opts.Repos)
	if err != nil {
		return nil, err
	}
	resolver := artifact.New(artifact.Options{CacheDir: opts.CacheDir, HTTP: opts.HTTP})
	defer resolver.Close()

	report := &SyncReport{DryRun: opts.DryRun}
	files := map[string][]byte{} // manifest path → bytes
	var authors []string
	for _, repo := range repos {
		rr, written, err := syncRepository(ctx, opts, snap.FS, reg, repo, resolver)
		if err != nil {
			return report, fmt.Errorf("repository %q: %w", repo.Name, err)
		}
		report.Repositories = append(report.Repositories, *rr)
		for p, b := range written {
			files[p] = b
		}
		if len(written) > 0 && repo.Upstream.Author != "" {
			authors = append(authors, repo.Upstream.Author)
		}
	}
	report.Written = len(files)
	if opts.DryRun || len(files) == 0 {
		return report, nil
	}
	if !opts.Commit {
		for _, p := range slices.Sorted(maps.Keys(files)) {
			dst := filepath.Join(opts.Dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return report, err
			}
			if err := os.WriteFile(dst, files[p], 0o644); err != nil {
				return report, err
			}
		}
		return report, nil
	}
	branch := opts.Branch
	if branch == "" {
		branch = "sync/" + opts.Now.UTC().Format("2006-01-02")
	}
	author := opts.Author
	if author == "" && len(authors) > 0 {
		author = authors[0]
	}
	hash, err := commitManifests(opts.Dir, branch, author, opts.Now, syncMessage(report), files)
	if err != nil {
		return report, err
	}
	report.Branch, report.Commit = branch, hash
	return report, nil
}

// syncRepositories returns the repositories named (all with upstream
// settings when none are).
func syncRepositories(reg *config.Registry, names []string) ([]*config.Repository, error) {
	var out []*config.Repository
	if len(names) == 0 {
		for _, r := range reg.Repositories {
			if r.Upstream != nil {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			return nil, &config.Error{File: config.ConfigFile, Msg: "no repository has upstream settings"}
		}
		return out, nil
	}
	for _, n := range names {
		r := reg.Repository(n)
		switch {
		case r == nil:
			return nil, &config.Error{File: config.ConfigFile, Msg: fmt.Sprintf("no repository %q", n)}
		case r.Upstream == nil:
			return nil, &config.Error{File: config.ConfigFile, Line: r.Line, Msg: fmt.Sprintf("repository %q has no upstream settings", n)}
		}
		out = append(out, r)
	}
	return out, nil
}

func syncRepository(ctx context.Context, opts SyncOptions, fsys fs.FS, reg *config.Registry, repo *config.Repository, resolver *artifact.Resolver) (*SyncRepository, map[string][]byte, error) {
	log := opts.Log.With("repository", repo.Name)
	src := upstream.Source{
		HTTP:     opts.HTTP,
		ReadFile: func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) },
		Now:      opts.Now,
	}
	log.Debug("reading upstream", "url", repo.Upstream.URL)
	cands, err := upstream.List(ctx, src, repo)
	if err != nil {
		return nil, nil, err
	}
	byFile := map[string]*config.Manifest{}
	bySHA := map[string]*config.Manifest{}
	for _, m := range reg.Manifests {
		if m.Repo == repo.Name {
			byFile[m.File] = m
			bySHA[m.SHA256] = m
		}
	}
	present := func(c upstream.Candidate) bool {
		return byFile[c.File] != nil || (c.SHA256 != "" && bySHA[c.SHA256] != nil)
	}
	res, err := upstream.Select(repo, cands, opts.Now, present)
	if err != nil {
		return nil, nil, err
	}
	rr := &SyncRepository{Name: repo.Name, Format: repo.Format, Upstream: repo.Upstream.URL, Missing: res.Missing, Files: []SyncFile{}}
	// Decide first, then fetch what is selected a few files at a time.
	var fetch []int // indexes into rr.Files
	manifests := map[string]bool{}
	for _, d := range res.Decisions {
		f := SyncFile{Package: d.Name, Version: d.Version, File: d.File, Status: d.Status, URL: d.URL, SHA256: d.SHA256}
		if d.Size >= 0 {
			f.Size = d.Size
		}
		if !d.Until.IsZero() {
			f.Until = d.Until.Format(time.RFC3339)
		}
		switch d.Status {
		case upstream.Present:
			m := byFile[d.File]
			if m == nil {
				m = bySHA[d.SHA256]
			} else if d.SHA256 != "" && m.SHA256 != d.SHA256 {
				f.Status = upstream.Changed
				log.Warn("upstream lists other bytes under a file name already published", "file", d.File, "manifest", m.Pos("sha256"), "listed", m.SHA256, "upstream", d.SHA256)
			}
			f.Manifest = m.Path
		case upstream.Selected:
			f.Manifest = path.Join(config.ManifestDir, repo.Name, d.File+".yaml")
			if manifests[f.Manifest] {
				continue // the same file name twice upstream: the first is taken
			}
			manifests[f.Manifest] = true
			if !opts.Commit {
				if _, err := os.Stat(filepath.Join(opts.Dir, filepath.FromSlash(f.Manifest))); err == nil {
					return nil, nil, fmt.Errorf("%s exists but does not list %s; remove or fix it first", f.Manifest, d.File)
				}
			}
			fetch = append(fetch, len(rr.Files))
		}
		rr.Files = append(rr.Files, f)
	}
	written := map[string][]byte{}
	if opts.DryRun {
		return rr, written, nil
	}
	selected := map[string]upstream.Candidate{}
	for _, d := range res.Decisions {
		if _, ok := selected[d.File]; !ok && d.Status == upstream.Selected {
			selected[d.File] = d.Candidate
		}
	}
	format := Formats()[repo.Format]
	data := make([][]byte, len(fetch))
	errs := make([]error, len(fetch))
	parallelN(ctx, len(fetch), syncDownloads, func(i int) {
		f := &rr.Files[fetch[i]]
		c := selected[f.File]
		log.Info("mirroring", "package", c.Name, "version", c.Version, "file", c.File)
		dg, err := fetchVerified(ctx, opts, resolver, c, format)
		if err == nil {
			data[i], err = renderManifest(reg, f.Manifest, manifest{
				File: c.File, SHA256: dg.SHA256, Size: dg.Size, Source: c.URL, Deprecated: c.Deprecated,
			})
		}
		errs[i] = err
		f.SHA256, f.Size = dg.SHA256, dg.Size
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for i, k := range fetch {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		written[rr.Files[k].Manifest] = data[i]
	}
	return rr, written, nil
}

// syncDownloads bounds the downloads of one repository in flight at once.
const syncDownloads = 4

// parallelN runs fn(0..n-1) on up to workers goroutines; it stops handing
// out work once ctx is done.
func parallelN(ctx context.Context, n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(n, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// fetchVerified downloads a candidate once and checks it against every hash
// the upstream lists and against the format's reader. A file whose sha256
// and size the upstream lists goes through the artifact cache, so the next
// build does not download it again.
func fetchVerified(ctx context.Context, opts SyncOptions, resolver *artifact.Resolver, c upstream.Candidate, format formats.Format) (digest.Set, error) {
	var local string
	var d digest.Set
	if c.SHA256 != "" && c.Size >= 0 {
		m := &config.Manifest{Path: c.Index, File: c.File, SHA256: c.SHA256, Size: c.Size, Source: c.URL}
		var err error
		local, d, err = resolver.Resolve(ctx, m)
		var mismatch *artifact.MismatchError
		if errors.As(err, &mismatch) {
			return d, &upstream.MismatchError{URL: c.URL, Index: c.Index, Field: mismatch.Field, Want: mismatch.Want, Got: mismatch.Got}
		}
		if err != nil && ctx.Err() == nil {
			// The resolver names the synthetic manifest; name the URL instead.
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return d, fmt.Errorf("%s: %w", c.URL, err)
		}
		if err != nil {
			return d, err
		}
	} else {
		tmp, sums, err := download(ctx, opts, c.URL)
		if err != nil {
			return d, err
		}
		defer os.Remove(tmp)
		local, d = tmp, sums
	}
	if err := c.Check(d); err != nil {
		return d, err
	}
	if format != nil {
		if _, err := formats.InspectFile(format, local, c.File); err != nil {
			return d, fmt.Errorf("%s: not a valid artifact: %w", c.URL, err)
		}
	}
	return d, nil
}

// download fetches url into a temporary file of the cache folder, hashing
// the bytes on their way.
func download(ctx context.Context, opts SyncOptions, url string) (string, digest.Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", digest.Set{}, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "stockpile")
	resp, err := opts.HTTP.Do(req)
	if err != nil {
		return "", digest.Set{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", digest.Set{}, fmt.Errorf("%s: server answered %s", url, resp.Status)
	}
	dir := filepath.Join(opts.CacheDir, "tmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", digest.Set{}, err
	}
	f, err := os.CreateTemp(dir, "sync-*")
	if err != nil {
		return "", digest.Set{}, err
	}
	sums := digest.NewWriter()
	if _, err := io.Copy(io.MultiWriter(f, sums), resp.Body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", digest.Set{}, fmt.Errorf("%s: %w", url, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", digest.Set{}, err
	}
	return f.Name(), sums.Set(), nil
}

// syncMessage is the commit message: a summary line, then one line per file.
func syncMessage(r *SyncReport) string {
	var lines []string
	for _, repo := range r.Repositories {
		for _, f := range repo.Files {
			if f.Status == upstream.Selected {
				lines = append(lines, fmt.Sprintf("%s: %s %s (%s)", repo.Name, f.Package, f.Version, f.File))
			}
		}
	}
	return fmt.Sprintf("sync: mirror %d upstream file(s)\n\n%s\n", len(lines), strings.Join(lines, "\n"))
}

// commitManifests makes a commit whose parent is HEAD and whose tree is
// HEAD's plus files, and points a new branch at it. Nothing is checked out:
// the working tree, the index and the current branch stay as they are.
func commitManifests(dir, branch, author string, now time.Time, msg string, files map[string][]byte) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	// The registry is the repository's root (a checkout or a bare
	// repository), as for build --ref.
	opts := &git.PlainOpenOptions{EnableDotGitCommonDir: true}
	repo, err := git.PlainOpenWithOptions(abs, opts)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		opts.DetectDotGit = true
		repo, err = git.PlainOpenWithOptions(abs, opts)
	}
	if err != nil {
		return "", fmt.Errorf("git repository %s: %w", dir, err)
	}
	ref := plumbing.NewBranchReferenceName(branch)
	if err := ref.Validate(); err != nil || branch == "" || strings.HasPrefix(branch, "-") {
		return "", fmt.Errorf("branch name %q is not valid", branch)
	}
	if _, err := repo.Reference(ref, false); err == nil {
		return "", fmt.Errorf("branch %s exists already; name another with --branch", branch)
	}
	sig, err := commitAuthor(repo, author, now)
	if err != nil {
		return "", err
	}
	head, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("HEAD: %w", err)
	}
	parent, err := repo.CommitObject(head.Hash())
	if err != nil {
		return "", err
	}
	tree, err := parent.Tree()
	if err != nil {
		return "", err
	}
	treeHash, err := putTree(repo.Storer, tree, files)
	if err != nil {
		return "", err
	}
	commit := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: treeHash, ParentHashes: []plumbing.Hash{parent.Hash}}
	obj := repo.Storer.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return "", err
	}
	hash, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return "", err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(ref, hash)); err != nil {
		return "", err
	}
	return hash.String(), nil
}

// commitAuthor returns the author given ("Name <email>"), or Git's
// configured user.
func commitAuthor(repo *git.Repository, author string, now time.Time) (object.Signature, error) {
	if author != "" {
		a, err := mail.ParseAddress(author)
		if err != nil || a.Name == "" {
			return object.Signature{}, fmt.Errorf("author %q is not \"Name <email>\"", author)
		}
		return object.Signature{Name: a.Name, Email: a.Address, When: now}, nil
	}
	if cfg, err := repo.ConfigScoped(gitconfig.GlobalScope); err == nil && cfg.User.Name != "" && cfg.User.Email != "" {
		return object.Signature{Name: cfg.User.Name, Email: cfg.User.Email, When: now}, nil
	}
	return object.Signature{}, errors.New("no commit author: use --author, set upstream.author in repos.yaml, or git config user.name and user.email")
}

// putTree stores a tree that is base (may be nil) with files added or
// replaced, and returns its hash.
func putTree(s storer.EncodedObjectStorer, base *object.Tree, files map[string][]byte) (plumbing.Hash, error) {
	entries := map[string]object.TreeEntry{}
	if base != nil {
		for _, e := range base.Entries {
			entries[e.Name] = e
		}
	}
	sub := map[string]map[string][]byte{}
	for p, data := range files {
		first, rest, nested := strings.Cut(p, "/")
		if !nested {
			h, err := putBlob(s, data)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries[first] = object.TreeEntry{Name: first, Mode: filemode.Regular, Hash: h}
			continue
		}
		if sub[first] == nil {
			sub[first] = map[string][]byte{}
		}
		sub[first][rest] = data
	}
	for name, children := range sub {
		var child *object.Tree
		if e, ok := entries[name]; ok && e.Mode == filemode.Dir {
			t, err := object.GetTree(s, e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			child = t
		}
		h, err := putTree(s, child, children)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
	}
	t := &object.Tree{}
	for _, e := range entries {
		t.Entries = append(t.Entries, e)
	}
	// Git orders entries by name, a folder's name as if it ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	slices.SortFunc(t.Entries, func(a, b object.TreeEntry) int { return strings.Compare(key(a), key(b)) })
	obj := s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

func putBlob(s storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}
