package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
)

// ErrImmutable is matched (errors.Is) when the tree would change the bytes
// of a published immutable file.
var ErrImmutable = errors.New("immutable file would change")

// file is one file of the tree to publish.
type file struct {
	key    string
	path   string // on local disk
	size   int64
	sha256 string
	rule   dist.Rule
}

// scan lists the files of the tree in dir, skipping temporary files, and
// hashes them.
func scan(ctx context.Context, dir string, parallel int) ([]*file, error) {
	var files []*file
	err := dist.WalkFiles(dir, func(key, p string, d fs.DirEntry) error {
		if strings.HasPrefix(key, reservedPrefix) {
			return fmt.Errorf("%s: the tree may not hold %s, which publish keeps for itself", p, reservedPrefix)
		}
		if !dist.ValidPath(key) {
			return fmt.Errorf("%s: not a valid tree path", p)
		}
		info, err := os.Stat(p) // follows symbolic links
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		files = append(files, &file{key: key, path: p, size: info.Size(), rule: dist.RuleFor(key)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	err = each(ctx, len(files), parallel, func(ctx context.Context, i int) error {
		var err error
		files[i].sha256, err = digest.FileSHA256(files[i].path)
		return err
	})
	return files, err
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// plan is what a publish does to the store.
type plan struct {
	upload    []*file // new or changed, in publish order
	newKeys   []string
	changed   []string
	unchanged int
}

// makePlan compares the tree with the listed store. The sha256 of a stored
// object comes from the state when it still describes the object, else
// from the store (metadata, or reading the object when it has none).
func makePlan(ctx context.Context, s Store, files []*file, listed map[string]Object, st *state, parallel int) (*plan, error) {
	stored := make([]string, len(files))
	var unknown []int
	for i, f := range files {
		obj, ok := listed[f.key]
		if !ok {
			continue
		}
		if stored[i] = st.known(f.key, obj.Size); stored[i] == "" {
			unknown = append(unknown, i)
		}
	}
	err := each(ctx, len(unknown), parallel, func(ctx context.Context, j int) error {
		i := unknown[j]
		f := files[i]
		obj, err := s.Stat(ctx, f.key)
		if err != nil {
			return fmt.Errorf("stat %s: %w", f.key, err)
		}
		stored[i] = obj.SHA256
		if stored[i] == "" && f.rule.Immutable() {
			// Written by something else: only the bytes can say whether
			// replacing it would change an immutable file.
			rc, err := s.Get(ctx, f.key)
			if err != nil {
				return fmt.Errorf("read %s: %w", f.key, err)
			}
			defer rc.Close()
			stored[i], err = digest.SHA256(rc)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	p := &plan{}
	var conflicts []error
	for i, f := range files {
		_, inStore := listed[f.key]
		switch {
		case !inStore:
			p.newKeys = append(p.newKeys, f.key)
			p.upload = append(p.upload, f)
		case stored[i] == f.sha256:
			p.unchanged++
		case f.rule.Immutable():
			conflicts = append(conflicts, fmt.Errorf("%s: %w: the store holds sha256 %s, the tree %s", f.key, ErrImmutable, stored[i], f.sha256))
		default:
			p.changed = append(p.changed, f.key)
			p.upload = append(p.upload, f)
		}
	}
	if len(conflicts) > 0 {
		return nil, errors.Join(conflicts...)
	}
	sort.SliceStable(p.upload, func(i, j int) bool { return p.upload[i].rule.Phase < p.upload[j].rule.Phase })
	return p, nil
}

// each runs f for 0..n-1 on up to parallel goroutines and returns the first
// error; after one, the others see a cancelled context and no new call
// starts.
func each(ctx context.Context, n, parallel int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < min(max(parallel, 1), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
