package tuf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Dir is the folder of the tree that holds the metadata.
const Dir = "tuf"

// TimestampPath is the only metadata file without a version in its name.
const TimestampPath = Dir + "/timestamp.json"

// ReadFunc reads a file of a published tree by its path; it returns an
// error satisfying errors.Is(err, fs.ErrNotExist) for a missing file.
type ReadFunc func(path string) ([]byte, error)

// State is the metadata of the last published tree, from which a new build
// continues: versions only grow and no role is ever dropped.
type State struct {
	Timestamp *metadata.Metadata[metadata.TimestampType]
	Snapshot  *metadata.Metadata[metadata.SnapshotType]

	raw   map[string][]byte // role → bytes as published
	roles map[string]*metadata.Metadata[metadata.TargetsType]
	read  ReadFunc
}

// LoadState reads the published timestamp and snapshot through read. It
// returns nil and no error when nothing was published yet.
func LoadState(read ReadFunc) (*State, error) {
	ts, err := read(TimestampPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("previous metadata: %w", err)
	}
	st := &State{raw: map[string][]byte{metadata.TIMESTAMP: ts}, roles: map[string]*metadata.Metadata[metadata.TargetsType]{}, read: read}
	if st.Timestamp, err = metadata.Timestamp().FromBytes(ts); err != nil {
		return nil, fmt.Errorf("previous metadata: %s: %w", TimestampPath, err)
	}
	snapMeta := st.Timestamp.Signed.Meta["snapshot.json"]
	if snapMeta == nil {
		return nil, fmt.Errorf("previous metadata: %s lists no snapshot", TimestampPath)
	}
	p := versionedPath(metadata.SNAPSHOT, snapMeta.Version)
	data, err := read(p)
	if err != nil {
		return nil, fmt.Errorf("previous metadata: %w", err)
	}
	if st.Snapshot, err = metadata.Snapshot().FromBytes(data); err != nil {
		return nil, fmt.Errorf("previous metadata: %s: %w", p, err)
	}
	st.raw[metadata.SNAPSHOT] = data
	return st, nil
}

// Role returns the published targets role called name with its bytes, or
// nil when the snapshot does not list it.
func (st *State) Role(name string) (*metadata.Metadata[metadata.TargetsType], []byte, error) {
	if st == nil {
		return nil, nil, nil
	}
	if md, ok := st.roles[name]; ok {
		return md, st.raw[name], nil
	}
	mf := st.Snapshot.Signed.Meta[name+".json"]
	if mf == nil {
		return nil, nil, nil
	}
	p := versionedPath(name, mf.Version)
	data, err := st.read(p)
	if err != nil {
		return nil, nil, fmt.Errorf("previous metadata: %w", err)
	}
	md, err := metadata.Targets().FromBytes(data)
	if err != nil {
		return nil, nil, fmt.Errorf("previous metadata: %s: %w", p, err)
	}
	st.roles[name], st.raw[name] = md, data
	return md, data, nil
}

// published is a role's metadata as published, read only as far as
// deciding whether it can be kept needs.
type published struct {
	raw     []byte          // the whole file
	signed  json.RawMessage // its signed part, byte for byte
	version int64
	expires time.Time
	keyIDs  []string // who signed it
}

// published returns the named role (root, targets, a delegated role,
// snapshot or timestamp) as last published, or nil.
func (st *State) published(name string) (*published, error) {
	if st == nil {
		return nil, nil
	}
	raw := st.raw[name]
	if raw == nil {
		mf := st.Snapshot.Signed.Meta[name+".json"]
		if mf == nil {
			return nil, nil
		}
		p := versionedPath(name, mf.Version)
		data, err := st.read(p)
		if err != nil {
			return nil, fmt.Errorf("previous metadata: %w", err)
		}
		raw = data
	}
	var env struct {
		Signatures []struct {
			KeyID string `json:"keyid"`
		} `json:"signatures"`
		Signed json.RawMessage `json:"signed"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("previous metadata: %s: %w", name, err)
	}
	var head struct {
		Version int64     `json:"version"`
		Expires time.Time `json:"expires"`
	}
	if err := json.Unmarshal(env.Signed, &head); err != nil {
		return nil, fmt.Errorf("previous metadata: %s: %w", name, err)
	}
	pub := &published{raw: raw, signed: env.Signed, version: head.Version, expires: head.Expires}
	for _, s := range env.Signatures {
		pub.keyIDs = append(pub.keyIDs, s.KeyID)
	}
	return pub, nil
}

// versionedPath is where a role's metadata lives under consistent snapshots.
func versionedPath(role string, version int64) string {
	return Dir + "/" + strconv.FormatInt(version, 10) + "." + role + ".json"
}
