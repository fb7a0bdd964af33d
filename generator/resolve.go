package generator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
)

// metaCacheVersion changes whenever what a format's Inspect returns changes,
// so that metadata cached by an older Stockpile is read again.
const metaCacheVersion = "v1"

// resolve fetches and verifies every artifact and reads its metadata, in
// parallel. Metadata is cached by sha256, so an artifact already seen is not
// read again.
func (b *build) resolve(ctx context.Context) error {
	ms := b.reg.Manifests
	arts := make([]*formats.Artifact, len(ms))
	errs := make([]error, len(ms))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	next := make(chan int)
	var wg sync.WaitGroup
	var done atomic.Int64
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ { // some sources wait on the network
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				arts[i], errs[i] = b.resolveOne(ctx, ms[i])
				if n := done.Add(1); b.opts.Progress != nil {
					b.opts.Progress(int(n), len(ms))
				}
			}
		}()
	}
	for i := range ms {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := b.meta.flush(); err != nil {
		b.log.Warn("metadata cache not written", "err", err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	b.byRepo = map[string][]*formats.Artifact{}
	for _, a := range arts {
		b.byRepo[a.Manifest.Repo] = append(b.byRepo[a.Manifest.Repo], a)
	}
	return nil
}

func (b *build) resolveOne(ctx context.Context, m *config.Manifest) (*formats.Artifact, error) {
	format := b.formats[b.reg.Repository(m.Repo).Format]
	local, d, err := b.resolver.Resolve(ctx, m)
	if err != nil {
		return nil, err
	}
	formatName := b.reg.Repository(m.Repo).Format
	meta := b.meta.get(formatName, d.SHA256)
	if meta == nil {
		meta, err = formats.InspectFile(format, local, m.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", m.Pos("file"), m.File, err)
		}
		b.meta.put(formatName, d.SHA256, meta)
	}
	added, ok := b.added[m.Path]
	if !ok {
		added = b.uncommittedTime(m.Path)
	}
	return &formats.Artifact{Manifest: m, Digests: d, Meta: meta, Local: local, Added: added}, nil
}

// uncommittedTime stands in for the commit date of a manifest not in Git
// yet: the build time when it is fixed (SOURCE_DATE_EPOCH), else the
// manifest's modification time, so that rebuilding an unchanged working tree
// does not change the times formats publish.
func (b *build) uncommittedTime(manifest string) time.Time {
	if !b.opts.Now.IsZero() || b.snap.Dir == "" {
		return b.now
	}
	st, err := os.Stat(filepath.Join(b.snap.Dir, filepath.FromSlash(manifest)))
	if err != nil || st.ModTime().After(b.now) {
		return b.now
	}
	return st.ModTime().UTC().Truncate(time.Second)
}
