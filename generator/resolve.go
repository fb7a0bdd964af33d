package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/atomicfile"
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
	cached := filepath.Join(b.opts.CacheDir, "meta", metaCacheVersion, b.reg.Repository(m.Repo).Format, d.SHA256[:2], d.SHA256+".json")
	meta, err := os.ReadFile(cached)
	if err != nil {
		meta, err = inspect(format, local, m.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", m.Pos("file"), m.File, err)
		}
		if err := writeCache(cached, meta); err != nil {
			b.log.Warn("metadata cache not written", "file", cached, "err", err)
		}
	}
	added, ok := b.added[m.Path]
	if !ok {
		added = b.now // not committed yet
	}
	return &formats.Artifact{Manifest: m, Digests: d, Meta: meta, Local: local, Added: added}, nil
}

func inspect(f formats.Format, local, name string) (formats.Meta, error) {
	file, err := os.Open(local)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	return f.Inspect(file, st.Size(), name)
}

// writeCache writes a content-addressed cache entry atomically.
func writeCache(path string, data []byte) error {
	return atomicfile.Write(path, bytes.NewReader(data), 0o644)
}
