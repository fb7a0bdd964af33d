package tuf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Root files in the registry repository: every version as N.root.json (the
// chain clients walk), root.json a copy of the newest (what clients pin),
// and a root being signed by several holders as staged.root.json.
const (
	RootFile   = Dir + "/root.json"
	StagedRoot = Dir + "/staged.root.json"
)

// RootPath is where version v of the root is kept, in the repository and in
// the tree alike.
func RootPath(v int64) string { return versionedPath(metadata.ROOT, v) }

// ParseRoot reads root metadata.
func ParseRoot(data []byte) (*metadata.Metadata[metadata.RootType], error) {
	return metadata.Root().FromBytes(data)
}

// VerifyRoots checks a chain of roots, versions 1..N in order: each is
// signed by a threshold of its own keys and of its predecessor's, uses
// consistent snapshots, and the newest has not expired at now. It returns
// the newest.
func VerifyRoots(roots [][]byte, now time.Time) (*metadata.Metadata[metadata.RootType], error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("no TUF root: run `stockpile keys create` to make %s", RootFile)
	}
	var prev *metadata.Metadata[metadata.RootType]
	for i, data := range roots {
		p := RootPath(int64(i + 1))
		root, err := ParseRoot(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if root.Signed.Version != int64(i+1) {
			return nil, fmt.Errorf("%s: holds version %d", p, root.Signed.Version)
		}
		if !root.Signed.ConsistentSnapshot {
			return nil, fmt.Errorf("%s: consistent_snapshot must be true (the tree is served from a CDN)", p)
		}
		if err := root.VerifyDelegate(metadata.ROOT, root); err != nil {
			return nil, fmt.Errorf("%s: not signed by a threshold of its own root keys: %w", p, err)
		}
		if prev != nil {
			if err := prev.VerifyDelegate(metadata.ROOT, root); err != nil {
				return nil, fmt.Errorf("%s: not signed by a threshold of the previous root's keys: %w", p, err)
			}
		}
		prev = root
	}
	if !prev.Signed.Expires.After(now) {
		return nil, fmt.Errorf("%s expired on %s: sign a new root (`stockpile keys rotate root`)", RootPath(prev.Signed.Version), prev.Signed.Expires.Format(time.RFC3339))
	}
	return prev, nil
}

// NewRoot makes version 1 of a root that trusts keys for each top-level
// role with the given thresholds.
func NewRoot(keys map[string][]*metadata.Key, thresholds map[string]int, expires time.Time) (*metadata.Metadata[metadata.RootType], error) {
	root := metadata.Root(expires.UTC().Truncate(time.Second))
	for _, role := range metadata.TOP_LEVEL_ROLE_NAMES {
		if err := SetRoleKeys(&root.Signed, role, keys[role], thresholds[role]); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// SetRoleKeys makes a top-level role trust exactly keys, and drops keys no
// role uses any more.
func SetRoleKeys(root *metadata.RootType, role string, keys []*metadata.Key, threshold int) error {
	if len(keys) == 0 {
		return fmt.Errorf("role %s: no keys", role)
	}
	if threshold < 1 || threshold > len(keys) {
		return fmt.Errorf("role %s: threshold %d with %d keys", role, threshold, len(keys))
	}
	r := root.Roles[role]
	r.KeyIDs = nil
	r.Threshold = threshold
	for _, k := range keys {
		if err := root.AddKey(k, role); err != nil {
			return err
		}
	}
	used := map[string]bool{}
	for _, r := range root.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range root.Keys {
		if !used[id] {
			delete(root.Keys, id)
		}
	}
	return nil
}

// SignRoot adds the signatures of signers that the root, or its
// predecessor (nil for version 1), trusts for the root role, replacing an
// earlier signature by the same key. It returns how many signers were used.
func SignRoot(root, prev *metadata.Metadata[metadata.RootType], signers []signature.Signer) (int, error) {
	used := 0
	for _, sg := range signers {
		_, id, err := PublicKey(sg)
		if err != nil {
			return used, err
		}
		if !trusts(root, id) && (prev == nil || !trusts(prev, id)) {
			continue
		}
		kept := root.Signatures[:0]
		for _, s := range root.Signatures {
			if s.KeyID != id {
				kept = append(kept, s)
			}
		}
		root.Signatures = kept
		if _, err := root.Sign(sg); err != nil {
			return used, err
		}
		used++
	}
	return used, nil
}

func trusts(root *metadata.Metadata[metadata.RootType], keyID string) bool {
	for _, id := range root.Signed.Roles[metadata.ROOT].KeyIDs {
		if id == keyID {
			return true
		}
	}
	return false
}

// MissingRootSignatures says how many more signatures root needs from its
// own root keys and from the previous root's (prev nil for version 1)
// before clients accept it, and how many signatures that takes in all: a
// key both roots trust counts for both.
func MissingRootSignatures(root, prev *metadata.Metadata[metadata.RootType]) (own, previous int, err error) {
	own, previous, _, err = missingRootSignatures(root, prev)
	return own, previous, err
}

// RootSignaturesNeeded is the fewest further signatures that complete root.
func RootSignaturesNeeded(root, prev *metadata.Metadata[metadata.RootType]) (int, error) {
	own, previous, shared, err := missingRootSignatures(root, prev)
	return own + previous - min(own, previous, shared), err
}

// missingRootSignatures also counts the unsigned keys both roots trust.
func missingRootSignatures(root, prev *metadata.Metadata[metadata.RootType]) (own, previous, shared int, err error) {
	payload, err := cjson.EncodeCanonical(root.Signed)
	if err != nil {
		return 0, 0, 0, err
	}
	unsigned := func(by *metadata.Metadata[metadata.RootType]) (int, map[string]bool) {
		role := by.Signed.Roles[metadata.ROOT]
		valid := 0
		signed := map[string]bool{}
		for _, s := range root.Signatures {
			key := by.Signed.Keys[s.KeyID]
			if key != nil && trusts(by, s.KeyID) && verifySig(key, payload, s.Signature) {
				valid++
				signed[s.KeyID] = true
			}
		}
		rest := map[string]bool{}
		for _, id := range role.KeyIDs {
			if !signed[id] {
				rest[id] = true
			}
		}
		return max(role.Threshold-valid, 0), rest
	}
	own, ownRest := unsigned(root)
	if prev != nil {
		var prevRest map[string]bool
		previous, prevRest = unsigned(prev)
		for id := range ownRest {
			if prevRest[id] {
				shared++
			}
		}
	}
	return own, previous, shared, nil
}

func verifySig(key *metadata.Key, payload, sig []byte) bool {
	pub, err := key.ToPublicKey()
	if err != nil {
		return false
	}
	hash := crypto.Hash(0)
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		hash = crypto.SHA256
	}
	v, err := signature.LoadVerifier(pub, hash)
	if err != nil {
		return false
	}
	return v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)) == nil
}
