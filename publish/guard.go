package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/yum"
)

// ErrRollback is matched (errors.Is) when the tree is older than what the
// store serves: clients that saw the newer metadata would refuse the older,
// or worse, be made to accept it.
var ErrRollback = errors.New("rollback refused")

const timestampKey = "tuf/timestamp.json"

// checkRollback compares the counters of the mutable roots of trust the
// tree changes with those in the store: TUF timestamp versions only grow
// (an equal version with other bytes is refused too), as do apt Release
// dates and repomd.xml revisions.
func checkRollback(ctx context.Context, s Store, files []*file, p *plan, listed map[string]Object) error {
	byKey := map[string]*file{}
	for _, f := range files {
		byKey[f.key] = f
	}
	if _, ok := listed[timestampKey]; ok && byKey[timestampKey] == nil {
		return fmt.Errorf("%w: the store holds %s but the tree has no TUF metadata", ErrRollback, timestampKey)
	}
	var errs []error
	for _, key := range p.changed {
		var check func(store, tree []byte) error
		switch base := path.Base(key); {
		case key == timestampKey:
			check = tufVersions
		case base == "Release" && strings.Contains(key, "dists/"):
			check = releaseDates
		case base == "repomd.xml":
			check = repomdRevisions
		default:
			continue
		}
		stored, err := readAll(ctx, s, key)
		if err != nil {
			return err
		}
		local, err := os.ReadFile(byKey[key].path)
		if err != nil {
			return err
		}
		if err := check(stored, local); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrRollback, key, err))
		}
	}
	return errors.Join(errs...)
}

func readAll(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return b, nil
}

func tufVersions(store, tree []byte) error {
	sv, serr := tufVersion(store)
	tv, terr := tufVersion(tree)
	switch {
	case terr != nil:
		return fmt.Errorf("in the tree: %w", terr)
	case serr != nil:
		return nil // nothing to compare with
	case tv < sv:
		return fmt.Errorf("the store holds version %d, the tree version %d", sv, tv)
	case tv == sv:
		return fmt.Errorf("the store holds version %d with other bytes than the tree's version %d; versions must grow", sv, tv)
	}
	return nil
}

func tufVersion(b []byte) (int64, error) {
	var md struct {
		Signed struct {
			Version *int64 `json:"version"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(b, &md); err != nil {
		return 0, err
	}
	if md.Signed.Version == nil {
		return 0, errors.New("no signed.version")
	}
	return *md.Signed.Version, nil
}

func releaseDates(store, tree []byte) error {
	sd, sok := apt.ReleaseTime(store, "Date")
	td, tok := apt.ReleaseTime(tree, "Date")
	if sok && tok && td.Before(sd) {
		return fmt.Errorf("the store's Date is %s, the tree's %s", sd.Format(time.RFC1123), td.Format(time.RFC1123))
	}
	return nil
}

func repomdRevisions(store, tree []byte) error {
	sr, sok := yum.Revision(store)
	tr, tok := yum.Revision(tree)
	if sok && tok && tr < sr {
		return fmt.Errorf("the store's revision is %d, the tree's %d", sr, tr)
	}
	return nil
}
