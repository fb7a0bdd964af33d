package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/stockpile/stockpile/signing/tuf"
)

// tuf signs TUF metadata over every file of the tree, continuing from the
// metadata last published (or last written to the output folder).
func (b *build) tuf(ctx context.Context) error {
	cfg := b.reg.Signing.TUF
	if b.opts.Unsigned {
		return nil
	}
	if cfg == nil {
		b.log.Debug("no signing.tuf in repos.yaml; the tree has no TUF metadata")
		return nil
	}
	roots, err := b.tufRoots()
	if err != nil {
		return err
	}
	read := b.opts.State
	if read == nil {
		read = b.previous
	}
	prev, err := tuf.LoadState(read)
	if err != nil {
		return err
	}
	var repos []string
	for _, r := range b.reg.Repositories {
		if _, ok := b.formats[r.Format]; ok {
			repos = append(repos, r.Name)
		}
	}
	report, err := tuf.Sign(b.tree, tuf.Options{
		Now: b.now, Roots: roots, Previous: prev, Repositories: repos, Config: cfg,
		Signers: func(role string) ([]signature.Signer, error) {
			return loadTUFSigners(ctx, b.opts.Dir, cfg, role, b.opts.Getenv)
		},
	})
	if err != nil {
		return fmt.Errorf("tuf: %w", err)
	}
	b.report.TUF = report
	return nil
}

// tufRoots reads the roots once for the steps that need them.
func (b *build) tufRoots() ([][]byte, error) {
	if b.roots == nil {
		roots, err := readRoots(b.snap.FS)
		if err != nil {
			return nil, err
		}
		b.roots = roots
	}
	return b.roots, nil
}

// readRoots returns the root versions kept in the registry repository,
// tuf/1.root.json upwards, and checks that tuf/root.json is the newest.
func readRoots(fsys fs.FS) ([][]byte, error) {
	var roots [][]byte
	for v := int64(1); ; v++ {
		data, err := fs.ReadFile(fsys, tuf.RootPath(v))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		roots = append(roots, data)
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("tuf: no %s in the repository: run `stockpile keys create` to make the first root", tuf.RootPath(1))
	}
	current, err := fs.ReadFile(fsys, tuf.RootFile)
	if err != nil {
		return nil, fmt.Errorf("tuf: %w", err)
	}
	if string(current) != string(roots[len(roots)-1]) {
		return nil, fmt.Errorf("tuf: %s is not the same as %s, the newest root", tuf.RootFile, tuf.RootPath(int64(len(roots))))
	}
	return roots, nil
}

// VerifyRootHistory checks the roots kept in a registry repository: the
// chain tuf/1.root.json upwards, each signed by its predecessor, with
// tuf/root.json the newest and not expired at now.
func VerifyRootHistory(fsys fs.FS, now time.Time) error {
	roots, err := readRoots(fsys)
	if err != nil {
		return err
	}
	_, err = tuf.VerifyRoots(roots, now)
	return err
}
