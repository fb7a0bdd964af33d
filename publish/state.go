package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Keys under this prefix hold publish's own records; they are not part of
// the tree, and a bucket policy may keep them private.
const (
	reservedPrefix = ".stockpile/"
	stateKey       = reservedPrefix + "state.json"
	lockKey        = reservedPrefix + "lock"
)

// state is what publish remembers in the store between runs: the sha256 of
// every object it knows (S3 listings do not carry it), and when each object
// that left the tree stopped being published, which starts its grace
// period.
type state struct {
	Version   int                   `json:"version"`
	Published time.Time             `json:"published,omitzero"` // last completed publish
	Files     map[string]*stateFile `json:"files"`
}

type stateFile struct {
	// SHA256 is "" while an upload over the object may be under way, so a
	// publish interrupted there never trusts a stale hash.
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	// Retired is when the object left the published tree; nil while it is
	// in it.
	Retired *time.Time `json:"retired,omitempty"`
}

func readState(ctx context.Context, s Store) (*state, error) {
	st := &state{Version: 1, Files: map[string]*stateFile{}}
	rc, err := s.Get(ctx, stateKey)
	if errors.Is(err, ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stateKey, err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s in the store is damaged (delete it to start afresh; files that left the tree then get a new grace period): %w", stateKey, err)
	}
	if st.Files == nil {
		st.Files = map[string]*stateFile{}
	}
	return st, nil
}

func writeState(ctx context.Context, s Store, st *state) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	opts := PutOptions{ContentType: "application/json", CacheControl: "private, no-store", SHA256: sha256Hex(data)}
	if err := s.Put(ctx, stateKey, bytes.NewReader(data), int64(len(data)), opts); err != nil {
		return fmt.Errorf("write %s: %w", stateKey, err)
	}
	return nil
}

// known returns the sha256 the state holds for key if it still describes an
// object of that size, or "".
func (st *state) known(key string, size int64) string {
	if f := st.Files[key]; f != nil && f.Size == size {
		return f.SHA256
	}
	return ""
}
