// Package check validates a change to a registry repository, as a pull
// request proposes it: the manifests and settings it adds, modifies or
// removes between two Git revisions, the artifacts they name, the rules of
// repos.yaml, the signatures of its commits, and that the whole registry
// still builds. It also previews what merging the change will publish.
package check

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/source"
)

// Options configure a check.
type Options struct {
	Dir  string // the registry repository: a Git checkout or a bare repository
	Base string // revision the change is compared with; "" picks one (see Run)
	Head string // revision holding the change; "" means HEAD
	// CacheDir holds the artifact and metadata caches the builds share.
	CacheDir string
	// Published is the public URL of the published tree; when set, an
	// artifact the change adds must not already be published there with
	// other bytes.
	Published string
	// Now fixes the build time of both builds; zero means head's commit time.
	Now    time.Time
	Getenv func(string) string
	HTTP   *http.Client
	Log    *slog.Logger
	// Progress, when set, is told how many artifacts of how many the
	// build at head has resolved.
	Progress func(done, total int)
	// Extra rules run after the built-in ones; their findings join the
	// report. This is where checks of other parts of the registry plug in.
	Extra []Rule
}

// Rule is a further check of a change.
type Rule struct {
	Name string
	Run  func(ctx context.Context, c *Change) ([]Finding, error)
}

// Change is what a Rule gets to look at.
type Change struct {
	Dir string
	// Base, MergeBase and Head are full commit hashes; Base and MergeBase
	// are "" when there is none.
	Base, MergeBase, Head string
	// BaseFS and HeadFS read the registry at Base (nil when none) and Head.
	BaseFS, HeadFS fs.FS
	// BaseRegistry (nil when base has none) and HeadRegistry are the loaded
	// registries; manifests are listed only when every one of them loaded.
	BaseRegistry, HeadRegistry *config.Registry
	Files                      []FileChange
}

// Severity of a finding.
const (
	SeverityError   = "error"   // the change must not merge
	SeverityWarning = "warning" // worth a look, does not block
	SeverityNotice  = "notice"  // information
)

// Finding is one result of a check, located in a file when it can be.
type Finding struct {
	Severity string `json:"severity"`
	Check    string `json:"check"` // schema, artifact, name, format, immutable, policy, signature, build, published, or a Rule's name
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	if loc == "" {
		return fmt.Sprintf("%s: %s", f.Severity, f.Message)
	}
	return fmt.Sprintf("%s: %s: %s", f.Severity, loc, f.Message)
}

// Report is the result of a check.
type Report struct {
	Base      string `json:"base,omitempty"`       // commit the change is compared with
	BaseRef   string `json:"base_ref,omitempty"`   // as the caller (or the default) named it
	MergeBase string `json:"merge_base,omitempty"` // common ancestor of base and head
	Head      string `json:"head"`
	OK        bool   `json:"ok"` // no error findings: the change may merge

	Files    []FileChange `json:"files"`    // manifests and settings the change touches
	Packages []Package    `json:"packages"` // what it adds, removes or changes
	Commits  []Commit     `json:"commits"`  // commits in base..head
	// Tree lists the files of the built tree the merge adds, changes and
	// removes (the build at the merge base against the build at head);
	// nil when either could not be built.
	Tree     *TreeDiff `json:"tree,omitempty"`
	Findings []Finding `json:"findings"`
}

// Errors counts the findings that block the change.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// Rejected is the error of a check whose change must not merge.
type Rejected struct{ Errors int }

func (e *Rejected) Error() string {
	if e.Errors == 1 {
		return "1 problem: the change must not merge"
	}
	return fmt.Sprintf("%d problems: the change must not merge", e.Errors)
}

// Run checks the change from Base to Head. The manifests and settings
// checked are those that differ between the merge base of Base and Head and
// Head (what a pull request shows); immutability is judged against both Base
// and the merge base. Without Base, Run compares with the pull request's
// target in GitHub Actions (origin/$GITHUB_BASE_REF), else origin/main when
// it is not Head, else Head's first parent.
//
// The report is returned even with an error, once the revisions resolve.
// The error is *Rejected when the change must not merge, the configuration
// errors of repos.yaml when it is invalid at Head, or what kept the check
// from running.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(opts.Dir, ".stockpile", "cache")
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	c := &checker{opts: opts, report: &Report{}}
	defer c.close()
	err := c.run(ctx)
	if c.report.Head == "" {
		return nil, err // no revision to report on
	}
	c.finish()
	if err != nil {
		c.report.OK = false
		return c.report, err
	}
	if n := c.report.Errors(); n > 0 {
		return c.report, &Rejected{Errors: n}
	}
	return c.report, nil
}

type checker struct {
	opts   Options
	report *Report
	repo   *git.Repository

	base, from, head          *object.Commit // from: the merge base
	baseSnap, fromSnap, hSnap *source.Snapshot
	baseReg, fromReg, headReg *config.Registry
	headLoaded                bool // config.Load of head passed
	closers                   []func() error
}

func (c *checker) close() {
	for _, f := range c.closers {
		f()
	}
}

// clock is the time expiry is judged at: Options.Now, or the wall clock.
func (c *checker) clock() time.Time {
	if !c.opts.Now.IsZero() {
		return c.opts.Now
	}
	return time.Now()
}

func (c *checker) add(f ...Finding) { c.report.Findings = append(c.report.Findings, f...) }

func (c *checker) run(ctx context.Context) error {
	if err := c.open(); err != nil {
		return err
	}
	if err := c.loadHead(); err != nil {
		return err
	}
	c.loadBases()
	if err := c.checkSignatures(); err != nil {
		return err
	}
	if err := c.checkManifests(ctx); err != nil {
		return err
	}
	if err := c.build(ctx); err != nil {
		return err
	}
	rules := append([]Rule{tufRule(c.clock)}, c.opts.Extra...)
	for _, r := range rules {
		found, err := r.Run(ctx, c.change())
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		for i := range found {
			if found[i].Check == "" {
				found[i].Check = r.Name
			}
		}
		c.add(found...)
	}
	return nil
}

// open resolves the revisions, lists what changed and opens a snapshot of
// each revision.
func (c *checker) open() error {
	repo, closeRepo, err := source.OpenRepository(c.opts.Dir)
	if err != nil {
		return fmt.Errorf("git repository %s: %w", c.opts.Dir, err)
	}
	c.repo = repo
	c.closers = append(c.closers, closeRepo)
	headRev := c.opts.Head
	if headRev == "" {
		headRev = "HEAD"
	}
	if c.head, err = resolve(repo, headRev); err != nil {
		return err
	}
	baseRev := c.opts.Base
	if baseRev == "" {
		baseRev = defaultBase(repo, c.head, c.opts.Getenv)
	}
	c.report.BaseRef = baseRev
	if baseRev != "" {
		if c.base, err = resolve(repo, baseRev); err != nil {
			return err
		}
		c.report.Base = c.base.Hash.String()
		if c.from, err = mergeBase(c.base, c.head); err != nil {
			return err
		}
		if c.from != nil {
			c.report.MergeBase = c.from.Hash.String()
		}
	}
	c.report.Head = c.head.Hash.String()
	if c.report.Files, err = changedFiles(c.from, c.head); err != nil {
		return err
	}
	if c.hSnap, err = c.snapshot(c.head); err != nil {
		return err
	}
	if c.baseSnap, err = c.snapshot(c.base); err != nil {
		return err
	}
	if c.from != nil && c.base != nil && c.from.Hash == c.base.Hash {
		c.fromSnap = c.baseSnap
	} else if c.fromSnap, err = c.snapshot(c.from); err != nil {
		return err
	}
	return nil
}

func (c *checker) snapshot(commit *object.Commit) (*source.Snapshot, error) {
	if commit == nil {
		return nil, nil
	}
	s, err := source.Open(c.opts.Dir, commit.Hash.String())
	if err != nil {
		return nil, err
	}
	c.closers = append(c.closers, s.Close)
	return s, nil
}

// loadHead reads the registry at head. repos.yaml errors end the check
// (they are returned, as configuration errors); manifest errors are
// findings.
func (c *checker) loadHead() error {
	reg, err := config.LoadConfig(c.hSnap.FS)
	if err != nil {
		c.addConfigErrors(err)
		return err
	}
	c.headReg = reg
	full, err := config.Load(c.hSnap.FS)
	if err != nil {
		c.addConfigErrors(err)
		return nil
	}
	c.headReg, c.headLoaded = full, true
	return nil
}

// loadBases reads the registry at base and at the merge base. A revision
// without a valid repos.yaml has no registry (nil); its manifests are read
// one by one, so that one broken manifest there hides no others.
func (c *checker) loadBases() {
	load := func(s *source.Snapshot) *config.Registry {
		if s == nil {
			return nil
		}
		reg, err := config.LoadConfig(s.FS)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.add(Finding{Severity: SeverityWarning, Check: "schema", Message: fmt.Sprintf("repos.yaml at the base revision does not load: %v", err)})
			}
			return nil
		}
		reg.Manifests = readManifests(s.FS, reg)
		return reg
	}
	c.baseReg = load(c.baseSnap)
	if c.fromSnap == c.baseSnap {
		c.fromReg = c.baseReg
	} else {
		c.fromReg = load(c.fromSnap)
	}
}

// readManifests parses every manifest of fsys on its own, keeping those
// that parse.
func readManifests(fsys fs.FS, reg *config.Registry) []*config.Manifest {
	var out []*config.Manifest
	fs.WalkDir(fsys, config.ManifestDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isManifest(p) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		if m, err := config.ParseManifest(p, data, reg); err == nil {
			out = append(out, m)
		}
		return nil
	})
	return out
}

// addConfigErrors adds each located configuration error as a finding, once.
func (c *checker) addConfigErrors(err error) {
	for _, e := range leaves(err) {
		var ce *config.Error
		if errors.As(e, &ce) {
			c.addOnce(Finding{Severity: SeverityError, Check: "schema", File: ce.File, Line: ce.Line, Message: ce.Msg})
		} else {
			f := locate(e)
			f.Check = "schema"
			c.addOnce(f)
		}
	}
}

// addOnce adds f unless an error finding is already at its file and line,
// or says the same.
func (c *checker) addOnce(f Finding) {
	for _, g := range c.report.Findings {
		if g.Severity != SeverityError {
			continue
		}
		if g.Message == f.Message && g.File == f.File || (f.File != "" && f.Line > 0 && g.File == f.File && g.Line == f.Line) {
			return
		}
	}
	c.add(f)
}

// leaves flattens joined errors.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	if w := errors.Unwrap(err); w != nil {
		// A wrapper around a join: keep the context on each part only when
		// the join holds several.
		if j, ok := w.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
			return leaves(w)
		}
	}
	return []error{err}
}

// checkSignatures enforces the commit signers of the base revision's
// repos.yaml: the rule and the keys come from base, so that a change can
// neither drop the rule nor add its own key.
func (c *checker) checkSignatures() error {
	var commits []*object.Commit
	var err error
	if commits, err = commitsBetween(c.repo, c.base, c.head); err != nil {
		return err
	}
	for _, cm := range commits {
		c.report.Commits = append(c.report.Commits, Commit{Hash: cm.Hash.String(), Subject: subject(cm), Signed: cm.PGPSignature != ""})
	}
	if c.baseReg == nil || c.baseReg.Policy == nil || len(c.baseReg.Policy.CommitSigners) == 0 {
		return nil
	}
	pol := c.baseReg.Policy
	ring, err := keyRing(c.baseSnap.FS, pol.CommitSigners)
	if err != nil {
		c.add(Finding{Severity: SeverityError, Check: "signature", File: config.ConfigFile, Line: pol.Line("commit_signers"),
			Message: fmt.Sprintf("%v (read at the base revision)", err)})
		return nil
	}
	c.report.Commits = verifyCommits(commits, ring)
	c.add(signatureFindings(c.report.Commits, pol)...)
	return nil
}

func (c *checker) change() *Change {
	ch := &Change{Dir: c.opts.Dir, Base: c.report.Base, MergeBase: c.report.MergeBase, Head: c.report.Head,
		HeadFS: c.hSnap.FS, BaseRegistry: c.baseReg, HeadRegistry: c.headReg, Files: c.report.Files}
	if c.baseSnap != nil {
		ch.BaseFS = c.baseSnap.FS
	}
	return ch
}

// finish sorts the report and sets its verdict.
func (c *checker) finish() {
	r := c.report
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.SliceStable(r.Packages, func(i, j int) bool {
		a, b := r.Packages[i], r.Packages[j]
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		return a.Manifest < b.Manifest
	})
	if r.Files == nil {
		r.Files = []FileChange{}
	}
	if r.Packages == nil {
		r.Packages = []Package{}
	}
	if r.Commits == nil {
		r.Commits = []Commit{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.OK = r.Errors() == 0
}

// newResolver returns a resolver reading repository paths from s.
func (c *checker) newResolver(s *source.Snapshot) *artifact.Resolver {
	r := artifact.New(artifact.Options{CacheDir: c.opts.CacheDir, Root: s.FS, RootDir: s.Dir, HTTP: c.opts.HTTP})
	c.closers = append(c.closers, r.Close)
	return r
}

func trimLines(s string) string { return strings.Join(strings.Fields(s), " ") }
