package generator

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/signing"
	"github.com/stockpile/stockpile/signing/tuf"
	"github.com/stockpile/stockpile/source"
)

// RefreshOptions configure Refresh.
type RefreshOptions struct {
	Dir      string // the registry repository
	Out      string // the built tree to refresh in place
	CacheDir string
	Now      time.Time
	Getenv   func(string) string
	Log      *slog.Logger
	State    tuf.ReadFunc // the published tree; nil reads Out
}

// RefreshReport says what Refresh re-signed.
type RefreshReport struct {
	Releases []string    `json:"releases"` // apt Release files given a new Valid-Until
	TUF      *tuf.Report `json:"tuf,omitempty"`
	Written  int         `json:"written"`
}

// Refresh re-signs the time-limited metadata of a built tree that is close
// to expiry — apt Release files with a Valid-Until, TUF timestamp, snapshot
// and any role past half its lifetime — without rebuilding indexes. It
// needs only the keys of what it re-signs, and names every missing one.
func Refresh(ctx context.Context, opts RefreshOptions) (*RefreshReport, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now.UTC().Truncate(time.Second)
	snap, err := source.Open(opts.Dir, "")
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	reg, err := config.LoadConfig(snap.FS)
	if err != nil {
		return nil, err
	}
	b := &build{opts: Options{Dir: opts.Dir, Out: opts.Out, CacheDir: opts.CacheDir, Getenv: opts.Getenv, State: opts.State}, log: opts.Log}
	if _, err := os.Stat(filepath.Join(opts.Out, filepath.FromSlash(tuf.TimestampPath))); err != nil && opts.State == nil {
		return nil, fmt.Errorf("%s holds no built tree with TUF metadata: build first", opts.Out)
	}
	tree, err := dist.ReadTree(opts.Out, b.writeRecord(), func(p string) bool {
		return strings.HasPrefix(p, tuf.Dir+"/") || dist.HashPrefixed(p)
	})
	if err != nil {
		return nil, err
	}
	report := &RefreshReport{Releases: []string{}}
	for _, repo := range reg.Repositories {
		if repo.Format != "apt" || repo.Apt.ValidFor == 0 {
			continue
		}
		for _, suite := range repo.Apt.Suites {
			dir := repo.Name + "/dists/" + suite
			f := tree.Get(dir + "/Release")
			if f == nil {
				continue
			}
			data, err := os.ReadFile(f.Source)
			if err != nil {
				return nil, err
			}
			renewed := apt.Redate(data, now, time.Duration(repo.Apt.ValidFor))
			if renewed == nil {
				continue
			}
			for _, p := range []string{"Release", "InRelease", "Release.gpg"} {
				tree.Remove(dir + "/" + p)
			}
			if err := tree.Add(dir+"/Release", renewed); err != nil {
				return nil, err
			}
			tree.Sign(dist.SignRequest{Kind: dist.ClearSign, Of: dir + "/Release", Path: dir + "/InRelease"})
			tree.Sign(dist.SignRequest{Kind: dist.DetachSign, Of: dir + "/Release", Path: dir + "/Release.gpg"})
			report.Releases = append(report.Releases, dir+"/Release")
		}
	}
	if len(tree.SignRequests()) > 0 {
		key, err := signing.LoadOpenPGP(reg.Signing.OpenPGP, opts.Dir, opts.Getenv)
		if err != nil {
			return nil, fmt.Errorf("apt Release files need re-signing: signing.openpgp: %w", err)
		}
		if err := signing.Apply(tree, key, now); err != nil {
			return nil, err
		}
	}
	b.snap, b.reg, b.tree, b.now, b.report = snap, reg, tree, now, &Report{}
	b.formats = Formats()
	if err := b.tuf(ctx); err != nil {
		return nil, err
	}
	report.TUF = b.report.TUF
	st, err := dist.Write(opts.Out, tree, b.writeRecord())
	if err != nil {
		return nil, err
	}
	report.Written = st.Written
	return report, nil
}
