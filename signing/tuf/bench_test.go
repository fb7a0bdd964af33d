package tuf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
)

// benchKeys makes one key per role and the root that trusts them.
func benchKeys(tb testing.TB, now time.Time) (map[string][]signature.Signer, []byte) {
	tb.Helper()
	signers := map[string][]signature.Signer{}
	keys := map[string][]*metadata.Key{}
	for _, role := range config.TUFRoles {
		pem, err := GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		s, err := ParsePrivateKey(pem)
		if err != nil {
			tb.Fatal(err)
		}
		k, _, err := PublicKey(s)
		if err != nil {
			tb.Fatal(err)
		}
		signers[role] = []signature.Signer{s}
		keys[role] = []*metadata.Key{k}
	}
	thresholds := map[string]int{"root": 1, "targets": 1, "snapshot": 1, "timestamp": 1}
	root, err := NewRoot(keys, thresholds, now.Add(365*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := SignRoot(root, nil, signers["root"]); err != nil {
		tb.Fatal(err)
	}
	data, err := root.ToBytes(false)
	if err != nil {
		tb.Fatal(err)
	}
	return signers, data
}

func defaultTUFConfig(tb testing.TB) *config.TUF {
	tb.Helper()
	reg, err := config.ParseConfig([]byte(`
repositories: [{name: apt, format: apt}]
signing:
  tuf:
    root: {keys: [k]}
    targets: {keys: [k]}
    delegations: {keys: [k]}
    snapshot: {keys: [k]}
    timestamp: {keys: [k]}
`))
	if err != nil {
		tb.Fatal(err)
	}
	return reg.Signing.TUF
}

// artifactTree is a tree of n .deb artifacts in the apt repository, plus
// one mutable index.
func artifactTree(n int) *dist.Tree {
	t := dist.NewTree()
	for i := range n {
		name := fmt.Sprintf("pkg%06d_1.0-1_amd64.deb", i)
		sum := sha256.Sum256([]byte(name))
		t.AddArtifact("apt/pool/main/p/"+name, "/nonexistent/"+name, int64(1000+i), hex.EncodeToString(sum[:]))
	}
	t.Add("apt/dists/stable/InRelease", []byte(fmt.Sprintf("%d packages\n", n)))
	return t
}

// treeReader reads the metadata a Sign put into a tree, as a published
// tree would serve it.
func treeReader(t *dist.Tree) ReadFunc {
	return func(p string) ([]byte, error) {
		if f := t.Get(p); f != nil {
			return f.Data, nil
		}
		return nil, fmt.Errorf("%s: %w", p, errNotExist)
	}
}

// BenchmarkClientMetadata100k signs a registry of 100,000 artifacts and
// reports the bytes of metadata a fresh client downloads to verify one of
// them (root, timestamp, snapshot, targets, the repository's role, one
// bin), and how long re-signing takes after one artifact is added.
func BenchmarkClientMetadata100k(b *testing.B) {
	const n = 100_000
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	signers, root := benchKeys(b, now)
	opts := Options{
		Now: now, Roots: [][]byte{root}, Repositories: []string{"apt"}, Config: defaultTUFConfig(b),
		Signers: func(role string) ([]signature.Signer, error) { return signers[role], nil },
	}
	first := artifactTree(n)
	if _, err := Sign(first, opts); err != nil {
		b.Fatal(err)
	}
	target := "apt/pool/main/p/pkg004242_1.0-1_amd64.deb"
	var bytes int
	var files []string
	for _, f := range first.Files() {
		if !strings.HasPrefix(f.Path, "tuf/") {
			continue
		}
		name := strings.TrimPrefix(f.Path, "tuf/")
		bin := (&metadata.SuccinctRoles{BitLength: BitLength(n), NamePrefix: "apt-bin"}).GetRolesForTarget(target)[0].Name
		for _, want := range []string{"1.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json", "1.apt.json", "1." + bin + ".json"} {
			if name == want {
				bytes += len(f.Data)
				files = append(files, fmt.Sprintf("%s=%d", name, len(f.Data)))
			}
		}
	}
	if len(files) != 6 {
		b.Fatalf("found %v, want 6 metadata files", files)
	}
	b.Logf("metadata for one target: %d bytes (%s)", bytes, strings.Join(files, " "))
	b.ReportMetric(float64(bytes), "client-metadata-bytes")

	prev, err := LoadState(treeReader(first))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := artifactTree(n + 1)
		opts.Previous = prev
		opts.Now = now.Add(time.Hour)
		b.StartTimer()
		r, err := Sign(next, opts)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.Logf("re-signed after one artifact: %v", r.Signed)
		}
	}
}

var errNotExist = fs.ErrNotExist
