package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockpile/stockpile/dist"
)

// Defaults of Options.
const (
	DefaultGracePeriod = 48 * time.Hour
	DefaultMaxDeletes  = 1000
	DefaultParallel    = 16
)

// Options configure a publish.
type Options struct {
	Now         time.Time     // the clock; required
	DryRun      bool          // plan and report, write nothing
	GracePeriod time.Duration // how long files that left the tree are kept (0: 48h)
	// MaxDeletes caps deletions: when more files are due, none is deleted
	// (0: 1000; negative: never delete).
	MaxDeletes int
	Parallel   int // concurrent uploads (0: 16)
	// Progress, when set, is told how many uploads of how many are done.
	Progress  func(done, total int)
	Log       *slog.Logger
	BreakLock bool // remove another publisher's lock first
}

// Report says what a publish did, or would do in a dry run.
type Report struct {
	DryRun        bool     `json:"dry_run"`
	Files         int      `json:"files"`
	New           int      `json:"new"`
	Changed       int      `json:"changed"`
	Unchanged     int      `json:"unchanged"`
	Pruned        int      `json:"pruned"`
	Kept          int      `json:"kept"` // left the tree, kept for the grace period
	BytesUploaded int64    `json:"bytes_uploaded"`
	NewKeys       []string `json:"new_keys"`
	ChangedKeys   []string `json:"changed_keys"`
	PrunedKeys    []string `json:"pruned_keys"`
	KeptKeys      []string `json:"kept_keys"`
	// PruneHeld says why files due for deletion were left in place.
	PruneHeld string `json:"prune_held,omitempty"`
}

// Publish makes the store serve the tree in dir: it uploads new and changed
// files phase by phase (blobs, index leaves, roots of trust, TUF roles, the
// TUF timestamp), each phase complete before the next starts, so that a
// client never sees an index naming a file that is not there yet. Files
// that left the tree are deleted once no index published within the grace
// period can name them. An interrupted publish leaves the store consistent
// and is completed by running it again.
func Publish(ctx context.Context, s Store, dir string, opts Options) (*Report, error) {
	if opts.Now.IsZero() {
		return nil, errors.New("publish: no time given (Options.Now)")
	}
	if opts.GracePeriod <= 0 {
		opts.GracePeriod = DefaultGracePeriod
	}
	if opts.MaxDeletes == 0 {
		opts.MaxDeletes = DefaultMaxDeletes
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("no built tree in %s (run stockpile build first)", dir)
	}

	files, err := scan(ctx, dir, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		// Every write goes to the recorder, whatever happens below.
		s = NewDryRun(s)
	} else {
		unlock, err := lock(ctx, s, opts.Now, opts.BreakLock, log)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}

	st, err := readState(ctx, s)
	if err != nil {
		return nil, err
	}
	objs, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	listed := make(map[string]Object, len(objs))
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, reservedPrefix) {
			listed[o.Key] = o
		}
	}
	p, err := makePlan(ctx, s, files, listed, st, opts.Parallel)
	if err != nil {
		return nil, err
	}
	if err := checkRollback(ctx, s, files, p, listed); err != nil {
		return nil, err
	}
	r := &Report{
		DryRun: opts.DryRun, Files: len(files), New: len(p.newKeys), Changed: len(p.changed), Unchanged: p.unchanged,
		NewKeys: nonNil(p.newKeys), ChangedKeys: nonNil(p.changed),
	}
	log.Debug("plan", "files", r.Files, "new", r.New, "changed", r.Changed, "unchanged", r.Unchanged)

	if len(p.changed) > 0 {
		// Until they are rewritten, the old hashes of these objects are
		// no longer to be trusted.
		for _, key := range p.changed {
			if f := st.Files[key]; f != nil {
				f.SHA256 = ""
			}
		}
		if err := writeState(ctx, s, st); err != nil {
			return nil, err
		}
	}
	if r.BytesUploaded, err = upload(ctx, s, p.upload, opts, log); err != nil {
		return r, err
	}

	due, kept := st.retire(files, listed, opts.Now, opts.GracePeriod)
	r.KeptKeys = nonNil(kept)
	switch {
	case len(due) == 0:
	case opts.MaxDeletes < 0:
		r.PruneHeld = fmt.Sprintf("%d files are due for deletion; deletions are turned off", len(due))
	case len(due) > opts.MaxDeletes:
		r.PruneHeld = fmt.Sprintf("%d files are due for deletion, more than the cap of %d: none deleted (raise --max-deletes to delete them)", len(due), opts.MaxDeletes)
	default:
		if err := each(ctx, len(due), opts.Parallel, func(ctx context.Context, i int) error {
			return s.Delete(ctx, due[i])
		}); err != nil {
			return r, fmt.Errorf("prune: %w", err)
		}
		for _, key := range due {
			delete(st.Files, key)
		}
		r.PrunedKeys = due
	}
	if r.PruneHeld != "" {
		r.KeptKeys = append(r.KeptKeys, due...)
		sort.Strings(r.KeptKeys)
	}
	r.PrunedKeys = nonNil(r.PrunedKeys)
	r.Pruned, r.Kept = len(r.PrunedKeys), len(r.KeptKeys)
	st.Published = opts.Now.UTC()
	if err := writeState(ctx, s, st); err != nil {
		return r, err
	}
	return r, nil
}

// upload puts files (sorted by phase) phase by phase; a phase starts only
// when every upload of the one before has finished.
func upload(ctx context.Context, s Store, files []*file, opts Options, log *slog.Logger) (int64, error) {
	var bytes atomic.Int64
	var done atomic.Int64
	var mu sync.Mutex
	if opts.Progress != nil {
		opts.Progress(0, len(files))
	}
	for start := 0; start < len(files); {
		phase := files[start].rule.Phase
		end := start
		for end < len(files) && files[end].rule.Phase == phase {
			end++
		}
		batch := files[start:end]
		log.Debug("upload", "phase", phaseName(phase), "files", len(batch))
		err := each(ctx, len(batch), opts.Parallel, func(ctx context.Context, i int) error {
			f := batch[i]
			if err := put(ctx, s, f); err != nil {
				return err
			}
			bytes.Add(f.size)
			n := done.Add(1)
			if opts.Progress != nil {
				mu.Lock()
				opts.Progress(int(n), len(files))
				mu.Unlock()
			}
			return nil
		})
		if err != nil {
			return bytes.Load(), err
		}
		start = end
	}
	return bytes.Load(), nil
}

func put(ctx context.Context, s Store, f *file) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	err = s.Put(ctx, f.key, fh, f.size, PutOptions{ContentType: f.rule.ContentType, CacheControl: f.rule.CacheControl, SHA256: f.sha256})
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.key, err)
	}
	return nil
}

func phaseName(p dist.Phase) string {
	switch p {
	case dist.PhaseBlob:
		return "blobs"
	case dist.PhaseLeaf:
		return "index leaves"
	case dist.PhaseRoot:
		return "roots of trust"
	case dist.PhaseTUF:
		return "TUF roles"
	case dist.PhaseTimestamp:
		return "TUF timestamp"
	}
	return fmt.Sprint(int(p))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
