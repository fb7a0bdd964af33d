package tuf

import (
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/config"
)

type rootMD = metadata.Metadata[metadata.RootType]

func parseRoot(t *testing.T, data []byte) *rootMD {
	t.Helper()
	r, err := ParseRoot(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rootBytes(t *testing.T, r *rootMD) []byte {
	t.Helper()
	data, err := r.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// nextRoot is an unsigned copy of prev one version up, with the root role
// trusting newKeys (threshold threshold).
func nextRoot(t *testing.T, prev *rootMD, threshold int, newKeys ...signature.Signer) *rootMD {
	t.Helper()
	next := parseRoot(t, rootBytes(t, prev))
	next.Signed.Version++
	next.Signatures = nil
	var keys []*metadata.Key
	for _, s := range newKeys {
		keys = append(keys, pub(t, s))
	}
	if err := SetRoleKeys(&next.Signed, metadata.ROOT, keys, threshold); err != nil {
		t.Fatal(err)
	}
	return next
}

func signRoot(t *testing.T, r, prev *rootMD, signers ...signature.Signer) int {
	t.Helper()
	n, err := SignRoot(r, prev, signers)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A rotated root is accepted only when signed by a threshold of the old
// root keys and of the new ones.
func TestVerifyRootsRotation(t *testing.T) {
	k := newTestKeys(t)
	r1 := parseRoot(t, k.root(t, t0))
	newRootKey := newSigner(t)

	tests := []struct {
		name    string
		signers []signature.Signer
		want    string // "" for accepted
	}{
		{"old and new keys", []signature.Signer{k[config.RoleRoot], newRootKey}, ""},
		{"new key only", []signature.Signer{newRootKey}, "2.root.json: not signed by a threshold of the previous root's keys"},
		{"old key only", []signature.Signer{k[config.RoleRoot]}, "2.root.json: not signed by a threshold of its own root keys"},
		{"unsigned", nil, "2.root.json: not signed by a threshold of its own root keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r2 := nextRoot(t, r1, 1, newRootKey)
			signRoot(t, r2, r1, tt.signers...)
			got, err := VerifyRoots([][]byte{rootBytes(t, r1), rootBytes(t, r2)}, t0)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("VerifyRoots: %v", err)
			case tt.want == "" && got.Signed.Version != 2:
				t.Errorf("VerifyRoots returned version %d, want 2", got.Signed.Version)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("VerifyRoots = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestVerifyRootsChecks(t *testing.T) {
	k := newTestKeys(t)
	r1 := parseRoot(t, k.root(t, t0))
	tests := []struct {
		name  string
		roots func(t *testing.T) [][]byte
		now   time.Time
		want  string
	}{
		{"no root", func(*testing.T) [][]byte { return nil }, t0, "no TUF root"},
		{"valid", func(t *testing.T) [][]byte { return [][]byte{rootBytes(t, r1)} }, t0, ""},
		{"expired", func(t *testing.T) [][]byte { return [][]byte{rootBytes(t, r1)} }, t0.Add(366 * 24 * time.Hour), "tuf/1.root.json expired on"},
		{"wrong version", func(t *testing.T) [][]byte {
			r := parseRoot(t, rootBytes(t, r1))
			r.Signed.Version = 2
			r.Signatures = nil
			signRoot(t, r, nil, k[config.RoleRoot])
			return [][]byte{rootBytes(t, r)}
		}, t0, "tuf/1.root.json: holds version 2"},
		{"no consistent snapshots", func(t *testing.T) [][]byte {
			r := parseRoot(t, rootBytes(t, r1))
			r.Signed.ConsistentSnapshot = false
			r.Signatures = nil
			signRoot(t, r, nil, k[config.RoleRoot])
			return [][]byte{rootBytes(t, r)}
		}, t0, "consistent_snapshot must be true"},
		{"tampered", func(t *testing.T) [][]byte {
			r := parseRoot(t, rootBytes(t, r1))
			r.Signed.Expires = r.Signed.Expires.Add(time.Hour)
			return [][]byte{rootBytes(t, r)}
		}, t0, "not signed by a threshold of its own root keys"},
		{"an old expired root in the chain is fine", func(t *testing.T) [][]byte {
			r2 := nextRoot(t, r1, 1, k[config.RoleRoot])
			r2.Signed.Expires = t0.Add(800 * 24 * time.Hour)
			signRoot(t, r2, r1, k[config.RoleRoot])
			return [][]byte{rootBytes(t, r1), rootBytes(t, r2)}
		}, t0.Add(400 * 24 * time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyRoots(tt.roots(t), tt.now)
			if tt.want == "" && err != nil {
				t.Errorf("VerifyRoots: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("VerifyRoots = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// MissingRootSignatures counts what a root still needs from its own keys
// and from its predecessor's, whatever order the holders sign in.
func TestMissingRootSignatures(t *testing.T) {
	k := newTestKeys(t)
	r1 := parseRoot(t, k.root(t, t0))
	a, b := newSigner(t), newSigner(t)
	stranger := newSigner(t)
	tests := []struct {
		name          string
		signers       []signature.Signer
		used          int
		own, previous int
	}{
		{"unsigned", nil, 0, 2, 1},
		{"old key", []signature.Signer{k[config.RoleRoot]}, 1, 2, 0},
		{"one new key", []signature.Signer{a}, 1, 1, 1},
		{"both new keys", []signature.Signer{a, b}, 2, 0, 1},
		{"everyone", []signature.Signer{b, k[config.RoleRoot], a}, 3, 0, 0},
		{"a stranger is not used", []signature.Signer{stranger, a}, 1, 1, 1},
		{"signing twice counts once", []signature.Signer{a, a}, 2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r2 := nextRoot(t, r1, 2, a, b)
			if used := signRoot(t, r2, r1, tt.signers...); used != tt.used {
				t.Errorf("SignRoot used %d signers, want %d", used, tt.used)
			}
			own, previous, err := MissingRootSignatures(r2, r1)
			if err != nil {
				t.Fatal(err)
			}
			if own != tt.own || previous != tt.previous {
				t.Errorf("MissingRootSignatures = %d own, %d previous; want %d, %d", own, previous, tt.own, tt.previous)
			}
			ids := map[string]bool{}
			for _, s := range r2.Signatures {
				if ids[s.KeyID] {
					t.Errorf("two signatures by %s", s.KeyID)
				}
				ids[s.KeyID] = true
			}
			_, err = VerifyRoots([][]byte{rootBytes(t, r1), rootBytes(t, r2)}, t0)
			if complete := tt.own == 0 && tt.previous == 0; complete != (err == nil) {
				t.Errorf("complete=%v but VerifyRoots = %v", complete, err)
			}
		})
	}
	t.Run("first root", func(t *testing.T) {
		own, previous, err := MissingRootSignatures(r1, nil)
		if err != nil || own != 0 || previous != 0 {
			t.Errorf("MissingRootSignatures(v1) = %d, %d, %v; want 0, 0", own, previous, err)
		}
	})
	t.Run("a signature over other content", func(t *testing.T) {
		r2 := nextRoot(t, r1, 1, a)
		signRoot(t, r2, r1, a, k[config.RoleRoot])
		r2.Signed.Expires = r2.Signed.Expires.Add(time.Hour)
		own, previous, err := MissingRootSignatures(r2, r1)
		if err != nil || own != 1 || previous != 1 {
			t.Errorf("MissingRootSignatures after a change = %d, %d, %v; want 1, 1", own, previous, err)
		}
	})
}

// SetRoleKeys replaces a role's keys and forgets keys no role uses.
func TestSetRoleKeys(t *testing.T) {
	k := newTestKeys(t)
	r := parseRoot(t, k.root(t, t0))
	fresh := newSigner(t)
	if err := SetRoleKeys(&r.Signed, metadata.TIMESTAMP, []*metadata.Key{pub(t, fresh)}, 1); err != nil {
		t.Fatal(err)
	}
	_, oldID, _ := PublicKey(k[config.RoleTimestamp])
	_, newID, _ := PublicKey(fresh)
	if got := r.Signed.Roles[metadata.TIMESTAMP].KeyIDs; len(got) != 1 || got[0] != newID {
		t.Errorf("timestamp keys %v, want [%s]", got, newID)
	}
	if r.Signed.Keys[oldID] != nil {
		t.Error("the replaced timestamp key is still listed")
	}
	if r.Signed.Keys[newID] == nil {
		t.Error("the new timestamp key is not listed")
	}
	// A key shared by two roles stays while one of them uses it.
	shared := pub(t, fresh)
	if err := SetRoleKeys(&r.Signed, metadata.SNAPSHOT, []*metadata.Key{shared}, 1); err != nil {
		t.Fatal(err)
	}
	if err := SetRoleKeys(&r.Signed, metadata.TIMESTAMP, []*metadata.Key{pub(t, k[config.RoleTimestamp])}, 1); err != nil {
		t.Fatal(err)
	}
	if r.Signed.Keys[newID] == nil {
		t.Error("a key the snapshot role still uses was dropped")
	}
	for _, tt := range []struct {
		keys      []*metadata.Key
		threshold int
	}{{nil, 1}, {[]*metadata.Key{shared}, 0}, {[]*metadata.Key{shared}, 2}} {
		if err := SetRoleKeys(&r.Signed, metadata.ROOT, tt.keys, tt.threshold); err == nil {
			t.Errorf("SetRoleKeys(%d keys, threshold %d) succeeded", len(tt.keys), tt.threshold)
		}
	}
}

func TestNewRootVerifies(t *testing.T) {
	k := newTestKeys(t)
	data := k.root(t, t0)
	r, err := VerifyRoots([][]byte{data}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Signed.ConsistentSnapshot || r.Signed.Version != 1 || !r.Signed.Expires.Equal(t0.Add(365*24*time.Hour)) {
		t.Errorf("root v%d, consistent_snapshot %v, expires %s", r.Signed.Version, r.Signed.ConsistentSnapshot, r.Signed.Expires)
	}
	if _, err := NewRoot(map[string][]*metadata.Key{}, nil, t0); err == nil {
		t.Error("NewRoot without keys succeeded")
	}
}
