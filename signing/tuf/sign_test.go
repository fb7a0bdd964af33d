package tuf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKeys holds one fresh key per role of config.TUFRoles.
type testKeys map[string]signature.Signer

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	k := testKeys{}
	for _, role := range config.TUFRoles {
		k[role] = newSigner(t)
	}
	return k
}

func newSigner(t *testing.T) signature.Signer {
	t.Helper()
	pem, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pub(t *testing.T, s signature.Signer) *metadata.Key {
	t.Helper()
	k, _, err := PublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// root makes version 1 of a root trusting k, made at now.
func (k testKeys) root(t *testing.T, now time.Time) []byte {
	t.Helper()
	keys := map[string][]*metadata.Key{}
	for _, role := range []string{config.RoleRoot, config.RoleTargets, config.RoleSnapshot, config.RoleTimestamp} {
		keys[role] = []*metadata.Key{pub(t, k[role])}
	}
	root, err := NewRoot(keys, map[string]int{"root": 1, "targets": 1, "snapshot": 1, "timestamp": 1}, now.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := SignRoot(root, nil, []signature.Signer{k[config.RoleRoot]}); err != nil || n != 1 {
		t.Fatalf("SignRoot: %d, %v", n, err)
	}
	data, err := root.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// signers hands out k's keys, except for the roles named missing.
func (k testKeys) signers(missing ...string) func(string) ([]signature.Signer, error) {
	return func(role string) ([]signature.Signer, error) {
		if slices.Contains(missing, role) {
			return nil, fmt.Errorf("no key for %s", role)
		}
		return []signature.Signer{k[role]}, nil
	}
}

// testConfig is signing.tuf as repos.yaml gives it, defaults applied;
// extra is added to the tuf block.
func testConfig(t *testing.T, extra string) *config.TUF {
	t.Helper()
	yml := "name: t\nbase_url: http://example.org/\nsigning:\n  tuf:\n"
	for _, role := range config.TUFRoles {
		yml += fmt.Sprintf("    %s: {keys: [k/%s.pem]}\n", role, role)
	}
	yml += extra
	yml += "repositories:\n  - {name: apt, format: npm}\n  - {name: npm, format: npm}\n  - {name: pypi, format: npm}\n"
	reg, err := config.ParseConfig([]byte(yml))
	if err != nil {
		t.Fatalf("repos.yaml:\n%s\n%v", yml, err)
	}
	return reg.Signing.TUF
}

var testRepos = []string{"apt", "npm", "pypi"}

// sampleFiles is a small tree with files of each kind in each repository
// and the site.
func sampleFiles() map[string]string {
	return map[string]string{
		"index.html":                                     "<html>home</html>",
		"_site/site.css":                                 "body{}",
		"_site/apt/p/hello.html":                         "<html>hello</html>",
		"extra/deep/er/readme.txt":                       "a folder no repository owns",
		"apt/dists/stable/InRelease":                     "signed release",
		"apt/dists/stable/main/binary-amd64/Packages.gz": "packages",
		"apt/dists/stable/main/binary-amd64/by-hash/SHA256/" + strings.Repeat("ab", 32): "packages",
		"apt/pool/main/h/hello_1.0_all.deb":                                             "deb bytes",
		"npm/hello/index.json":                                                          `{"name":"hello"}`,
		"npm/hello/-/hello-1.0.0.tgz":                                                   "tgz bytes",
		"npm/@scope/name/-/name-1.0.0.tgz":                                              "scoped tgz bytes",
		"pypi/simple/hello/index.html":                                                  "<a>hello</a>",
		"pypi/files/hello/hello-1.0+x-py3-none-any.whl":                                 "wheel bytes",
	}
}

func newTree(t *testing.T, files map[string]string) *dist.Tree {
	t.Helper()
	tree := dist.NewTree()
	for p, data := range files {
		if err := tree.Add(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

// signed is one Sign run: the tree with its metadata, and the roots.
type signed struct {
	tree   *dist.Tree
	report *Report
	roots  [][]byte
}

func mustSign(t *testing.T, files map[string]string, opts Options) *signed {
	t.Helper()
	tree := newTree(t, files)
	report, err := Sign(tree, opts)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return &signed{tree, report, opts.Roots}
}

func (s *signed) read(p string) ([]byte, error) {
	f := s.tree.Get(p)
	if f == nil {
		return nil, fs.ErrNotExist
	}
	return f.Data, nil
}

func (s *signed) state(t *testing.T) *State {
	t.Helper()
	st, err := LoadState(s.read)
	if err != nil || st == nil {
		t.Fatalf("LoadState: %v, %v", st, err)
	}
	return st
}

// metadataFiles returns the bytes of every file under tuf/.
func (s *signed) metadataFiles() map[string]string {
	out := map[string]string{}
	for _, f := range s.tree.Files() {
		if strings.HasPrefix(f.Path, Dir+"/") {
			out[f.Path] = string(f.Data)
		}
	}
	return out
}

// verified walks the metadata as a TUF client does, at now, and returns
// every targets role it accepted by name, and the snapshot's versions.
func (s *signed) verified(t *testing.T, now time.Time) (map[string]*metadata.Metadata[metadata.TargetsType], map[string]int64) {
	t.Helper()
	trusted, err := trustedmetadata.New(s.roots[0])
	if err != nil {
		t.Fatal(err)
	}
	trusted.RefTime = now
	for _, root := range s.roots[1:] {
		if _, err := trusted.UpdateRoot(root); err != nil {
			t.Fatalf("root: %v", err)
		}
	}
	get := func(p string) []byte {
		t.Helper()
		data, err := s.read(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return data
	}
	ts, err := trusted.UpdateTimestamp(get(TimestampPath))
	if err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	snap, err := trusted.UpdateSnapshot(get(versionedPath(metadata.SNAPSHOT, ts.Signed.Meta["snapshot.json"].Version)), false)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	versions := map[string]int64{metadata.TIMESTAMP: ts.Signed.Version, metadata.SNAPSHOT: snap.Signed.Version}
	for name, mf := range snap.Signed.Meta {
		versions[strings.TrimSuffix(name, ".json")] = mf.Version
	}
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{}
	var walk func(name, parent string)
	walk = func(name, parent string) {
		t.Helper()
		md, err := trusted.UpdateDelegatedTargets(get(versionedPath(name, versions[name])), name, parent)
		if err != nil {
			t.Fatalf("role %s: %v", name, err)
		}
		roles[name] = md
		if d := md.Signed.Delegations; d != nil {
			for _, r := range d.Roles {
				walk(r.Name, name)
			}
			if d.SuccinctRoles != nil {
				for _, bin := range d.SuccinctRoles.GetRoles() {
					walk(bin, name)
				}
			}
		}
	}
	walk(metadata.TARGETS, metadata.ROOT)
	return roles, versions
}

func baseOptions(t *testing.T, k testKeys, cfg *config.TUF) Options {
	return Options{Now: t0, Roots: [][]byte{k.root(t, t0)}, Repositories: testRepos, Config: cfg, Signers: k.signers()}
}

// Every file of the tree is a target of exactly one role, with one sha256
// hash; immutable files say so and are fetched where they are, mutable ones
// get a hash-prefixed copy; each role's path patterns cover its targets and
// no other role's.
func TestSignRoleLayout(t *testing.T) {
	k := newTestKeys(t)
	files := sampleFiles()
	s := mustSign(t, files, baseOptions(t, k, testConfig(t, "")))
	roles, _ := s.verified(t, t0)

	top := roles[metadata.TARGETS]
	if len(top.Signed.Targets) != 0 {
		t.Errorf("the top-level targets role lists targets: %v", top.Signed.Targets)
	}
	var delegated []string
	for _, r := range top.Signed.Delegations.Roles {
		delegated = append(delegated, r.Name)
		if !r.Terminating {
			t.Errorf("role %s is not terminating", r.Name)
		}
	}
	if want := append(slices.Clone(testRepos), SiteRole); !cmp.Equal(delegated, want) {
		t.Errorf("delegated roles %v, want %v", delegated, want)
	}
	wantRole := map[string]string{}
	for p := range files {
		wantRole[p] = SiteRole
		if first, _, _ := strings.Cut(p, "/"); slices.Contains(testRepos, first) {
			wantRole[p] = first
		}
	}
	if s.report.Targets != len(files) {
		t.Errorf("report counts %d targets, want %d", s.report.Targets, len(files))
	}
	for p, data := range files {
		var in []string
		for name, md := range roles {
			tf := md.Signed.Targets[p]
			if tf == nil {
				continue
			}
			in = append(in, name)
			if len(tf.Hashes) != 1 || tf.Hashes["sha256"] == nil {
				t.Errorf("%s: hashes %v, want exactly one sha256", p, tf.Hashes)
			}
			if err := tf.VerifyLengthHashes([]byte(data)); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			immutable := tf.Custom != nil && string(*tf.Custom) == `{"immutable":true}`
			if immutable != dist.RuleFor(p).Immutable() {
				t.Errorf("%s: custom %s, but the file's rule says immutable=%v", p, custom(tf), dist.RuleFor(p).Immutable())
			}
			copyPath := HashPrefixedPath(p, s.tree.Get(p).SHA256)
			if c := s.tree.Get(copyPath); immutable && c != nil {
				t.Errorf("%s: immutable, yet the tree holds %s", p, copyPath)
			} else if !immutable && (c == nil || string(c.Data) != data) {
				t.Errorf("%s: mutable, but %s is missing or differs", p, copyPath)
			}
		}
		if !cmp.Equal(in, []string{wantRole[p]}) {
			t.Errorf("%s is a target of %v, want [%s]", p, in, wantRole[p])
		}
		var matched []string
		for _, r := range top.Signed.Delegations.Roles {
			if ok, err := r.IsDelegatedPath(p); err != nil {
				t.Fatal(err)
			} else if ok {
				matched = append(matched, r.Name)
			}
		}
		if !cmp.Equal(matched, []string{wantRole[p]}) {
			t.Errorf("%s matches the paths of %v, want [%s]", p, matched, wantRole[p])
		}
	}
	// Nothing else is a target: not the metadata, not the copies.
	for name, md := range roles {
		for p := range md.Signed.Targets {
			if _, ok := files[p]; !ok {
				t.Errorf("role %s lists %s, which is not a file of the tree", name, p)
			}
		}
	}
}

func custom(tf *metadata.TargetFiles) string {
	if tf.Custom == nil {
		return "none"
	}
	return string(*tf.Custom)
}

func TestSignRefusesBadLayouts(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name  string
		files map[string]string
		repos []string
		want  string
	}{
		{"too deep", map[string]string{"apt/" + strings.Repeat("d/", maxDepth) + "f": "x"}, testRepos, "deeper than"},
		{"a repository named site", map[string]string{"site/x": "x"}, []string{"site"}, "clashes with the TUF role of the browse site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions(t, k, testConfig(t, ""))
			opts.Repositories = tt.repos
			_, err := Sign(newTree(t, tt.files), opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sign = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// manyFiles returns n npm tarballs of the repository repo.
func manyFiles(repo string, n int) map[string]string {
	files := map[string]string{"index.html": "home"}
	for i := range n {
		files[fmt.Sprintf("%s/p%d/-/p%d-1.0.0.tgz", repo, i, i)] = fmt.Sprint("tarball ", i)
	}
	return files
}

// Above bins_above targets a repository delegates to hashed bins; every bin
// is published, each target sits in the bin its path hashes to, and the
// bit length stays when the repository shrinks.
func TestSignHashedBins(t *testing.T) {
	k := newTestKeys(t)
	cfg := testConfig(t, "    bins_above: 4\n")
	opts := baseOptions(t, k, cfg)
	files := manyFiles("npm", 10)
	for p, data := range manyFiles("apt", 4) {
		files[p] = data
	}
	s := mustSign(t, files, opts)
	roles, versions := s.verified(t, t0)

	if d := roles["apt"].Signed.Delegations; d != nil || len(roles["apt"].Signed.Targets) != 4 {
		t.Errorf("apt (4 targets, bins_above 4) delegates %+v and lists %d targets itself", d, len(roles["apt"].Signed.Targets))
	}
	npm := roles["npm"]
	if len(npm.Signed.Targets) != 0 {
		t.Errorf("the npm role lists %d targets itself; its bins should", len(npm.Signed.Targets))
	}
	sr := npm.Signed.Delegations.SuccinctRoles
	if sr == nil {
		t.Fatalf("npm (10 targets, bins_above 4) has no succinct_roles: %+v", npm.Signed.Delegations)
	}
	if sr.BitLength != BitLength(10) || sr.NamePrefix != "npm-bin" {
		t.Errorf("succinct_roles %+v, want bit_length %d, name_prefix npm-bin", sr, BitLength(10))
	}
	bins := sr.GetRoles()
	if len(bins) != 1<<sr.BitLength {
		t.Fatalf("%d bins for bit length %d", len(bins), sr.BitLength)
	}
	for _, bin := range bins {
		if versions[bin] != 1 {
			t.Errorf("the snapshot lists %s at version %d, want 1", bin, versions[bin])
		}
	}
	for p := range files {
		if !strings.HasPrefix(p, "npm/") {
			continue
		}
		bin := sr.GetRolesForTarget(p)[0].Name
		if roles[bin].Signed.Targets[p] == nil {
			t.Errorf("%s is not in its bin %s", p, bin)
		}
	}

	// The repository shrinks below bins_above: same bins, same bit length.
	small := manyFiles("npm", 2)
	opts.Previous = s.state(t)
	s2 := mustSign(t, small, opts)
	roles2, versions2 := s2.verified(t, t0)
	if sr2 := roles2["npm"].Signed.Delegations.SuccinctRoles; sr2 == nil || sr2.BitLength != sr.BitLength {
		t.Fatalf("after shrinking, npm's succinct_roles are %+v, want bit length %d", sr2, sr.BitLength)
	}
	for _, bin := range bins {
		if versions2[bin] < 1 {
			t.Errorf("after shrinking, the snapshot lacks %s", bin)
		}
	}
	for p := range small {
		if strings.HasPrefix(p, "npm/") && roles2[sr.GetRolesForTarget(p)[0].Name].Signed.Targets[p] == nil {
			t.Errorf("after shrinking, %s is not in its bin", p)
		}
	}
}

func TestBitLength(t *testing.T) {
	tests := []struct{ n, want int }{
		{1, 8}, {2049, 8}, {128 * 256, 8}, {128*256 + 1, 9}, {128 * 512, 9}, {128*512 + 1, 10},
		{128 << 16, 16}, {1 << 30, 16},
	}
	for _, tt := range tests {
		if got := BitLength(tt.n); got != tt.want {
			t.Errorf("BitLength(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// Signing again from the published state keeps what did not change, bumps
// exactly what did, and never goes back to version 1.
func TestSignVersions(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, ""))
	files := sampleFiles()
	first := mustSign(t, files, opts)
	_, v1 := first.verified(t, t0)
	for role, v := range v1 {
		if v != 1 {
			t.Errorf("first build: %s at version %d, want 1", role, v)
		}
	}

	t.Run("unchanged", func(t *testing.T) {
		opts := opts
		opts.Previous = first.state(t)
		again := mustSign(t, files, opts)
		if diff := cmp.Diff(first.metadataFiles(), again.metadataFiles()); diff != "" {
			t.Errorf("metadata changed (-first +again):\n%s", diff)
		}
		if len(again.report.Signed) != 0 {
			t.Errorf("signed anew: %v", again.report.Signed)
		}
	})

	// One npm file changes: npm, snapshot and timestamp go one up.
	changed := sampleFiles()
	changed["npm/hello/index.json"] = `{"name":"hello","versions":{}}`
	opts.Previous = first.state(t)
	second := mustSign(t, changed, opts)
	_, v2 := second.verified(t, t0)
	want := maps(v1, map[string]int64{"npm": 2, metadata.SNAPSHOT: 2, metadata.TIMESTAMP: 2})
	if diff := cmp.Diff(want, v2); diff != "" {
		t.Errorf("versions after one change (-want +got):\n%s", diff)
	}
	if got, want := second.report.Signed, []string{"npm v2", "snapshot v2", "timestamp v2"}; !cmp.Equal(got, want) {
		t.Errorf("report.Signed = %v, want %v", got, want)
	}
	// The roles kept are the published bytes; the tree holds only the
	// versions the snapshot names (older ones stay where they were
	// published).
	firstMeta, secondMeta := first.metadataFiles(), second.metadataFiles()
	for p, data := range secondMeta {
		if old, ok := firstMeta[p]; ok && p != TimestampPath && old != data {
			t.Errorf("%s changed", p)
		}
	}
	for _, role := range []string{"apt", "pypi", SiteRole, metadata.TARGETS} {
		if p := versionedPath(role, 1); secondMeta[p] != firstMeta[p] {
			t.Errorf("%s is not the published bytes", p)
		}
	}

	// A repository is dropped: its role stays in the snapshot, emptied, and
	// versions keep growing.
	t.Run("removed repository", func(t *testing.T) {
		opts := opts
		opts.Previous = second.state(t)
		opts.Repositories = []string{"apt", "pypi"}
		without := map[string]string{}
		for p, data := range changed {
			if !strings.HasPrefix(p, "npm/") {
				without[p] = data
			}
		}
		third := mustSign(t, without, opts)
		roles, v3 := third.verified(t, t0)
		want := maps(v2, map[string]int64{"npm": 3, metadata.TARGETS: 2, metadata.SNAPSHOT: 3, metadata.TIMESTAMP: 3})
		if diff := cmp.Diff(want, v3); diff != "" {
			t.Errorf("versions after dropping npm (-want +got):\n%s", diff)
		}
		if _, ok := roles["npm"]; ok {
			t.Errorf("the top-level targets role still delegates to npm")
		}
	})

	// A state whose snapshot is newer than its roles (e.g. after many
	// builds) still only grows.
	t.Run("never resets", func(t *testing.T) {
		opts := opts
		prev := second
		for i := range 3 {
			opts.Previous = prev.state(t)
			opts.Now = t0.Add(time.Duration(i+1) * 13 * time.Hour) // the timestamp is re-signed each time
			prev = mustSign(t, changed, opts)
			_, v := prev.verified(t, opts.Now)
			if v[metadata.TIMESTAMP] != int64(3+i) {
				t.Errorf("build %d: timestamp version %d, want %d", i+3, v[metadata.TIMESTAMP], 3+i)
			}
			if v["npm"] != 2 {
				t.Errorf("build %d: npm version %d, want 2", i+3, v["npm"])
			}
		}
	})
}

// maps returns base with the entries of over replaced.
func maps(base, over map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func expiresOf(t *testing.T, s *signed, role string, version int64) time.Time {
	t.Helper()
	p := versionedPath(role, version)
	if role == metadata.TIMESTAMP {
		p = TimestampPath
	}
	data, err := s.read(p)
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Signed struct {
			Expires time.Time `json:"expires"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(data, &md); err != nil {
		t.Fatal(err)
	}
	return md.Signed.Expires
}

// Lifetimes come from the configuration (defaults when unset), and a role
// within half its lifetime of expiry is re-signed although unchanged.
func TestSignExpiry(t *testing.T) {
	k := newTestKeys(t)
	day := 24 * time.Hour
	t.Run("defaults", func(t *testing.T) {
		s := mustSign(t, sampleFiles(), baseOptions(t, k, testConfig(t, "")))
		want := map[string]time.Duration{
			metadata.TIMESTAMP: day, metadata.SNAPSHOT: 7 * day, metadata.TARGETS: 90 * day, "npm": 90 * day, SiteRole: 90 * day,
		}
		for role, d := range want {
			if got := expiresOf(t, s, role, 1); !got.Equal(t0.Add(d)) {
				t.Errorf("%s expires %s, want %s", role, got, t0.Add(d))
			}
		}
	})
	t.Run("configured", func(t *testing.T) {
		cfg := testConfig(t, "")
		cfg.Timestamp.Expires = config.Duration(2 * time.Hour)
		cfg.Delegations.Expires = config.Duration(10 * day)
		s := mustSign(t, sampleFiles(), baseOptions(t, k, cfg))
		if got := expiresOf(t, s, metadata.TIMESTAMP, 1); !got.Equal(t0.Add(2 * time.Hour)) {
			t.Errorf("timestamp expires %s, want %s", got, t0.Add(2*time.Hour))
		}
		if got := expiresOf(t, s, "apt", 1); !got.Equal(t0.Add(10 * day)) {
			t.Errorf("apt expires %s, want %s", got, t0.Add(10*day))
		}
	})

	opts := baseOptions(t, k, testConfig(t, ""))
	first := mustSign(t, sampleFiles(), opts)
	tests := []struct {
		after  time.Duration
		signed []string
	}{
		{11 * time.Hour, nil},
		{13 * time.Hour, []string{"timestamp v2"}},
		{4 * day, []string{"snapshot v2", "timestamp v2"}},
		{46 * day, []string{"apt v2", "npm v2", "pypi v2", "site v2", "snapshot v2", "targets v2", "timestamp v2"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("after ", tt.after), func(t *testing.T) {
			opts := opts
			opts.Previous = first.state(t)
			opts.Now = t0.Add(tt.after)
			s := mustSign(t, sampleFiles(), opts)
			if !cmp.Equal(s.report.Signed, tt.signed) {
				t.Errorf("signed %v, want %v", s.report.Signed, tt.signed)
			}
			s.verified(t, opts.Now)
		})
	}
}

// Every key a build lacks is reported at once, so one run tells the
// operator all that is missing.
func TestSignMissingKeys(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name    string
		missing []string
	}{
		{"online keys", []string{config.RoleSnapshot, config.RoleTimestamp}},
		{"delegations and online keys", []string{config.RoleDelegations, config.RoleSnapshot, config.RoleTimestamp}},
		{"targets and online keys", []string{config.RoleTargets, config.RoleSnapshot, config.RoleTimestamp}},
		{"every key", []string{config.RoleTargets, config.RoleDelegations, config.RoleSnapshot, config.RoleTimestamp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions(t, k, testConfig(t, ""))
			opts.Signers = k.signers(tt.missing...)
			_, err := Sign(newTree(t, sampleFiles()), opts)
			if err == nil {
				t.Fatal("Sign without keys succeeded")
			}
			for _, role := range tt.missing {
				if !strings.Contains(err.Error(), "signing.tuf."+role+":") {
					t.Errorf("the error does not name signing.tuf.%s:\n%v", role, err)
				}
			}
		})
	}
}

// Missing online keys are all reported, and nothing is published.
func TestSignMissingOnlineKeys(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, ""))
	opts.Signers = k.signers(config.RoleSnapshot, config.RoleTimestamp)
	_, err := Sign(newTree(t, sampleFiles()), opts)
	if err == nil {
		t.Fatal("Sign without the snapshot and timestamp keys succeeded")
	}
	for _, role := range []string{config.RoleSnapshot, config.RoleTimestamp} {
		if n := strings.Count(err.Error(), "signing.tuf."+role+":"); n != 1 {
			t.Errorf("the error names signing.tuf.%s %d times, want once:\n%v", role, n, err)
		}
	}
}

// A refresh re-signs timestamp and snapshot with the online keys alone:
// the offline targets key and the delegations key are not needed while
// nothing else changes.
func TestSignRefreshWithOnlineKeys(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, ""))
	first := mustSign(t, sampleFiles(), opts)
	opts.Previous = first.state(t)
	opts.Now = t0.Add(4 * 24 * time.Hour)
	opts.Signers = k.signers(config.RoleTargets, config.RoleDelegations)
	s := mustSign(t, sampleFiles(), opts)
	if want := []string{"snapshot v2", "timestamp v2"}; !cmp.Equal(s.report.Signed, want) {
		t.Errorf("signed %v, want %v", s.report.Signed, want)
	}
	s.verified(t, opts.Now)
}

// A key the root does not trust for its role is refused before anything is
// published.
func TestSignUntrustedKey(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, ""))
	other := newSigner(t)
	opts.Signers = func(role string) ([]signature.Signer, error) {
		if role == config.RoleTimestamp {
			return []signature.Signer{other}, nil
		}
		return []signature.Signer{k[role]}, nil
	}
	_, err := Sign(newTree(t, sampleFiles()), opts)
	if err == nil || !strings.Contains(err.Error(), "signing.tuf.timestamp are not the keys the timestamp role trusts") {
		t.Errorf("Sign with an untrusted timestamp key = %v", err)
	}
}

// After a root rotation of the timestamp key, the next build re-signs the
// timestamp with the new key although nothing changed, and publishes the
// whole root chain.
func TestSignAfterRotation(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, ""))
	first := mustSign(t, sampleFiles(), opts)

	root1, err := ParseRoot(opts.Roots[0])
	if err != nil {
		t.Fatal(err)
	}
	root2, _ := ParseRoot(opts.Roots[0])
	root2.Signed.Version = 2
	root2.Signatures = nil
	newTS := newSigner(t)
	if err := SetRoleKeys(&root2.Signed, metadata.TIMESTAMP, []*metadata.Key{pub(t, newTS)}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := SignRoot(root2, root1, []signature.Signer{k[config.RoleRoot]}); err != nil {
		t.Fatal(err)
	}
	data2, err := root2.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}

	opts.Roots = append(opts.Roots, data2)
	opts.Previous = first.state(t)
	t.Run("old key", func(t *testing.T) {
		_, err := Sign(newTree(t, sampleFiles()), opts)
		if err == nil || !strings.Contains(err.Error(), "not the keys the timestamp role trusts") {
			t.Errorf("Sign with the replaced timestamp key = %v", err)
		}
	})
	k2 := testKeys{}
	for r, s := range k {
		k2[r] = s
	}
	k2[config.RoleTimestamp] = newTS
	opts.Signers = k2.signers()
	s := mustSign(t, sampleFiles(), opts)
	if want := []string{"timestamp v2"}; !cmp.Equal(s.report.Signed, want) {
		t.Errorf("signed %v, want %v", s.report.Signed, want)
	}
	for v, data := range opts.Roots {
		if got, _ := s.read(RootPath(int64(v + 1))); string(got) != string(data) {
			t.Errorf("%s is not in the tree as kept", RootPath(int64(v+1)))
		}
	}
	s.verified(t, t0)
}

// LoadState finds nothing before a first publication, and reports a broken
// one.
func TestLoadState(t *testing.T) {
	st, err := LoadState(func(string) ([]byte, error) { return nil, fs.ErrNotExist })
	if st != nil || err != nil {
		t.Errorf("LoadState of nothing = %v, %v", st, err)
	}
	_, err = LoadState(func(p string) ([]byte, error) {
		if p == TimestampPath {
			return []byte(`{"signed":{}}`), nil
		}
		return nil, fs.ErrNotExist
	})
	if err == nil {
		t.Error("LoadState accepted a broken timestamp")
	}
	boom := errors.New("boom")
	if _, err := LoadState(func(string) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("LoadState = %v, want the read error", err)
	}
}

// Each missing key is reported once, however many roles it would sign.
func TestSignMissingKeyReportedOnce(t *testing.T) {
	k := newTestKeys(t)
	opts := baseOptions(t, k, testConfig(t, "    bins_above: 4\n"))
	files := manyFiles("npm", 10)
	first := mustSign(t, files, opts)
	opts.Previous = first.state(t)
	opts.Now = t0.Add(46 * 24 * time.Hour) // every role is due for re-signing
	opts.Signers = k.signers(config.RoleDelegations)
	_, err := Sign(newTree(t, files), opts)
	if err == nil {
		t.Fatal("Sign without the delegations key succeeded")
	}
	if n := strings.Count(err.Error(), "signing.tuf.delegations:"); n != 1 {
		t.Errorf("the error names signing.tuf.delegations %d times, want once", n)
	}
}
