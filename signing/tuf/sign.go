package tuf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
)

// SiteRole is the delegated role of every file outside the repositories'
// folders (the browse site).
const SiteRole = "site"

// maxDepth bounds how deep a target may sit inside its role's folder: TUF
// path patterns match one segment per "*", so a role lists one pattern per
// depth. A fixed bound keeps the top-level targets role stable.
const maxDepth = 16

// immutableCustom marks targets whose bytes never change at their own path:
// clients fetch them there (PrefixTargetsWithHash off), and the tree holds
// no hash-prefixed copy of them.
var immutableCustom = json.RawMessage(`{"immutable":true}`)

// Options configure Sign.
type Options struct {
	Now time.Time
	// Roots are the root metadata files, versions 1..N in order, as kept in
	// the registry repository.
	Roots [][]byte
	// Previous is the last published metadata, or nil for a first build.
	Previous     *State
	Repositories []string // repository names, in repos.yaml order
	Config       *config.TUF
	// Signers loads the private keys of a role of config.TUFRoles. It is
	// called only for roles that must be signed anew.
	Signers func(role string) ([]signature.Signer, error)
}

// Report says what Sign did.
type Report struct {
	Targets int      `json:"targets"`
	Signed  []string `json:"signed"` // "role vN" for each role signed anew
	Version int64    `json:"timestamp_version"`
}

// Sign adds the TUF metadata of every file of tree under tuf/, and a
// hash-prefixed copy of every mutable file. Roles whose content did not
// change and that are not close to expiry keep their published bytes and
// version.
func Sign(tree *dist.Tree, opts Options) (*Report, error) {
	s := &signer{opts: opts, tree: tree, report: &Report{}, signers: map[string][]signature.Signer{}, keyErrs: map[string]error{}, lacking: map[string]bool{}, meta: map[string]*metadata.MetaFiles{}}
	if err := s.addRoots(); err != nil {
		return nil, err
	}
	if err := s.sign(); err != nil {
		return nil, err
	}
	sort.Strings(s.report.Signed)
	return s.report, nil
}

type signer struct {
	opts    Options
	tree    *dist.Tree
	root    *metadata.Metadata[metadata.RootType]
	report  *Report
	signers map[string][]signature.Signer
	keyErrs map[string]error         // roles whose keys failed to load
	lacking map[string]bool          // roles that had to be signed but could not
	dkeys   map[string]*metadata.Key // delegation keys by ID

	mu   sync.Mutex // guards what follows: bins are signed in parallel
	meta map[string]*metadata.MetaFiles
}

func (s *signer) addRoots() error {
	root, err := VerifyRoots(s.opts.Roots, s.opts.Now)
	if err != nil {
		return err
	}
	s.root = root
	for i, data := range s.opts.Roots {
		if err := s.tree.Add(versionedPath(metadata.ROOT, int64(i+1)), data); err != nil {
			return err
		}
	}
	return nil
}

func (s *signer) sign() error {
	roles, err := s.assign()
	if err != nil {
		return err
	}
	if err := s.loadDelegationKeys(); err != nil {
		// Nothing can be signed past this point; name every other key
		// a first signing would need as well.
		return s.lackingKeys(config.RoleTargets, config.RoleSnapshot, config.RoleTimestamp)
	}
	names := append(slices.Clone(s.opts.Repositories), SiteRole)
	var delegated []metadata.DelegatedRole
	for _, name := range names {
		targets := roles[name]
		if err := s.delegatedRole(name, targets); err != nil {
			return err
		}
		delegated = append(delegated, metadata.DelegatedRole{
			Name: name, KeyIDs: s.delegationKeyIDs(), Threshold: s.opts.Config.Delegations.Threshold,
			Terminating: true, Paths: rolePaths(name, targets),
		})
	}
	top := metadata.Targets().Signed
	top.Delegations = &metadata.Delegations{Keys: s.dkeys, Roles: delegated}
	if err := s.targetsRole(metadata.TARGETS, top, config.RoleTargets, s.topLevel(metadata.TARGETS)); err != nil {
		return err
	}
	// A role once published stays in the snapshot: clients refuse a
	// snapshot that drops one. Roles no longer delegated are kept empty.
	if prev := s.opts.Previous; prev != nil {
		for file := range prev.Snapshot.Signed.Meta {
			name := strings.TrimSuffix(file, ".json")
			if s.meta[file] == nil {
				if err := s.targetsRole(name, metadata.Targets().Signed, config.RoleDelegations, s.delegation()); err != nil {
					return err
				}
			}
		}
	}
	if err := s.snapshotAndTimestamp(); err != nil {
		return err
	}
	return s.lackingKeys()
}

// assign collects the targets of the tree by role, and adds hash-prefixed
// copies of the mutable ones.
func (s *signer) assign() (map[string]map[string]*metadata.TargetFiles, error) {
	repos := map[string]bool{}
	for _, r := range s.opts.Repositories {
		repos[r] = true
	}
	if repos[SiteRole] {
		return nil, fmt.Errorf("a repository named %q clashes with the TUF role of the browse site; rename it", SiteRole)
	}
	roles := map[string]map[string]*metadata.TargetFiles{}
	for _, f := range s.tree.Files() {
		if strings.HasPrefix(f.Path, Dir+"/") || dist.HashPrefixed(f.Path) {
			continue
		}
		if strings.HasPrefix(f.Path, ".") || strings.Contains(f.Path, "/.") {
			// tuf-js matches patterns with minimatch, whose "*" skips them.
			return nil, fmt.Errorf("%s: a path segment starting with '.' cannot be a TUF target", f.Path)
		}
		if strings.Count(f.Path, "/") > maxDepth {
			return nil, fmt.Errorf("%s: deeper than %d folders, which the TUF roles do not cover", f.Path, maxDepth)
		}
		sum, err := hex.DecodeString(f.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%s: bad sha256 %q", f.Path, f.SHA256)
		}
		tf := &metadata.TargetFiles{Length: f.Size, Hashes: metadata.Hashes{"sha256": sum}}
		if dist.RuleFor(f.Path).Immutable() {
			c := immutableCustom
			tf.Custom = &c
		} else if err := s.addHashPrefixedCopy(f); err != nil {
			return nil, err
		}
		role := SiteRole
		if first, _, ok := strings.Cut(f.Path, "/"); ok && repos[first] {
			role = first
		}
		if roles[role] == nil {
			roles[role] = map[string]*metadata.TargetFiles{}
		}
		roles[role][f.Path] = tf
		s.report.Targets++
	}
	return roles, nil
}

// HashPrefixedPath is where a client under consistent snapshots fetches the
// mutable target p with the given sha256 (hex).
func HashPrefixedPath(p, sha256hex string) string {
	dir, base := path.Split(p)
	return dir + sha256hex + "." + base
}

func (s *signer) addHashPrefixedCopy(f *dist.File) error {
	p := HashPrefixedPath(f.Path, f.SHA256)
	if f.Data != nil {
		return s.tree.Add(p, f.Data)
	}
	return s.tree.AddArtifact(p, f.Source, f.Size, f.SHA256)
}

// rolePaths lists the path patterns of a delegated role: everything in the
// repository's folder, or for the site every root file and the folders of
// its targets that are not repositories.
func rolePaths(name string, targets map[string]*metadata.TargetFiles) []string {
	var dirs []string
	if name == SiteRole {
		seen := map[string]bool{}
		for p := range targets {
			if first, _, ok := strings.Cut(p, "/"); ok && !seen[first] {
				seen[first] = true
				dirs = append(dirs, first)
			}
		}
		sort.Strings(dirs)
	} else {
		dirs = []string{name}
	}
	var paths []string
	if name == SiteRole {
		paths = append(paths, "*")
	}
	for _, d := range dirs {
		for depth := 1; depth <= maxDepth; depth++ {
			paths = append(paths, d+strings.Repeat("/*", depth))
		}
	}
	return paths
}

// delegatedRole emits the role of one repository (or the site), split into
// hashed bins once it is large. The bin count is decided once and kept, as
// renaming bins would drop roles from the snapshot.
func (s *signer) delegatedRole(name string, targets map[string]*metadata.TargetFiles) error {
	prev, _, err := s.opts.Previous.Role(name)
	if err != nil {
		return err
	}
	bitLength := 0
	if prev != nil && prev.Signed.Delegations != nil && prev.Signed.Delegations.SuccinctRoles != nil {
		bitLength = prev.Signed.Delegations.SuccinctRoles.BitLength
	} else if len(targets) > s.opts.Config.BinsAbove {
		bitLength = BitLength(len(targets))
	}
	role := metadata.Targets().Signed
	if bitLength == 0 {
		role.Targets = targets
		return s.targetsRole(name, role, config.RoleDelegations, s.delegation())
	}
	succinct := &metadata.SuccinctRoles{
		KeyIDs: s.delegationKeyIDs(), Threshold: s.opts.Config.Delegations.Threshold,
		BitLength: bitLength, NamePrefix: name + "-bin",
	}
	role.Delegations = &metadata.Delegations{Keys: s.dkeys, SuccinctRoles: succinct}
	if err := s.targetsRole(name, role, config.RoleDelegations, s.delegation()); err != nil {
		return err
	}
	bins := map[string]map[string]*metadata.TargetFiles{}
	for p, tf := range targets {
		bin := succinct.GetRolesForTarget(p)[0].Name
		if bins[bin] == nil {
			bins[bin] = map[string]*metadata.TargetFiles{}
		}
		bins[bin][p] = tf
	}
	names := succinct.GetRoles()
	for _, bin := range names {
		if slices.Contains(s.opts.Repositories, bin) {
			return fmt.Errorf("repository %q clashes with a hashed bin of repository %q; rename it", bin, name)
		}
	}
	// Bins are independent, and comparing each with what was published
	// is most of the work of a large registry's build: spread it.
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				b := metadata.Targets().Signed
				if bins[names[i]] != nil {
					b.Targets = bins[names[i]]
				}
				errs[i] = s.targetsRole(names[i], b, config.RoleDelegations, s.delegation())
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// BitLength sizes hashed bins for n targets: about 128 targets a bin, and at
// least 256 bins so that the registry can grow tenfold before a bin holds
// more than a few hundred targets.
func BitLength(n int) int {
	b := bits.Len(uint((n - 1) / 128))
	return min(max(b, 8), 16)
}

func (s *signer) loadDelegationKeys() error {
	signers, err := s.signersFor(config.RoleDelegations)
	if err == nil {
		s.dkeys = map[string]*metadata.Key{}
		for _, sg := range signers {
			k, id, err := PublicKey(sg)
			if err != nil {
				return err
			}
			s.dkeys[id] = k
		}
		return nil
	}
	// Without the delegation key (a refresh of timestamp and snapshot
	// only), the published targets role says which keys those are.
	if prev, _, perr := s.opts.Previous.Role(metadata.TARGETS); perr == nil && prev != nil && prev.Signed.Delegations != nil {
		s.dkeys = prev.Signed.Delegations.Keys
		return nil
	}
	s.lack(config.RoleDelegations)
	return err
}

// lack records that a role had to be signed without its keys.
func (s *signer) lack(role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lacking[role] = true
}

// lackingKeys returns, in one error, the key problem of every role that
// had to be signed, and of the roles named that fail to load too.
func (s *signer) lackingKeys(also ...string) error {
	for _, role := range also {
		if _, err := s.signersFor(role); err != nil {
			s.lack(role)
		}
	}
	var errs []error
	for _, role := range config.TUFRoles {
		if s.lacking[role] {
			errs = append(errs, s.keyErrs[role])
		}
	}
	return errors.Join(errs...)
}

func (s *signer) delegationKeyIDs() []string {
	ids := make([]string, 0, len(s.dkeys))
	for id := range s.dkeys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// signersFor loads a role's keys once; a failure is remembered too, so
// that a KMS key is not asked again for every bin.
func (s *signer) signersFor(role string) ([]signature.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err, ok := s.keyErrs[role]; ok {
		return nil, err
	}
	if sg, ok := s.signers[role]; ok {
		return sg, nil
	}
	sg, err := s.opts.Signers(role)
	if err != nil {
		err = fmt.Errorf("signing.tuf.%s: %w", role, err)
		s.keyErrs[role] = err
		return nil, err
	}
	s.signers[role] = sg
	return sg, nil
}

// targetsRole emits a targets-type role: the published bytes when nothing
// changed, else a new version.
func (s *signer) targetsRole(name string, signed metadata.TargetsType, keyRole string, t trust) error {
	md := &metadata.Metadata[metadata.TargetsType]{Signed: signed}
	md.Signed.Type = metadata.TARGETS
	if md.Signed.Targets == nil {
		md.Signed.Targets = map[string]*metadata.TargetFiles{}
	}
	version, _, err := emit(s, name, md, keyRole, t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.meta[name+".json"] = &metadata.MetaFiles{Version: version}
	s.mu.Unlock()
	return nil
}

func (s *signer) snapshotAndTimestamp() error {
	snap := metadata.Snapshot()
	snap.Signed.Meta = s.meta
	version, raw, err := emit(s, metadata.SNAPSHOT, snap, config.RoleSnapshot, s.topLevel(metadata.SNAPSHOT))
	if err != nil {
		return err
	}
	ts := metadata.Timestamp()
	sum := sha256.Sum256(raw)
	ts.Signed.Meta = map[string]*metadata.MetaFiles{"snapshot.json": {Version: version, Length: int64(len(raw)), Hashes: metadata.Hashes{"sha256": sum[:]}}}
	s.report.Version, _, err = emit(s, metadata.TIMESTAMP, ts, config.RoleTimestamp, s.topLevel(metadata.TIMESTAMP))
	return err
}

// emit adds one role's metadata to the tree and returns its version and
// bytes. The published bytes are kept when the signed content is the same,
// the signatures come from the keys the role has now, and expiry is more
// than half a lifetime away; otherwise the role is signed anew, one version
// up.
func emit[T metadata.Roles](s *signer, name string, md *metadata.Metadata[T], keyRole string, t trust) (int64, []byte, error) {
	prev, err := s.opts.Previous.published(name)
	if err != nil {
		return 0, nil, err
	}
	lifetime := time.Duration(s.opts.Config.Role(keyRole).Expires)
	version, expires := header(&md.Signed)
	var raw []byte
	if prev != nil {
		// Same content serializes to the same bytes under the same
		// version and expiry: no need to decode what was published.
		*version, *expires = prev.version, prev.expires
		signed, err := json.Marshal(md.Signed)
		if err != nil {
			return 0, nil, err
		}
		if bytes.Equal(signed, prev.signed) && t.accepts(prev.keyIDs) && !prev.expires.Before(s.opts.Now.Add(lifetime/2)) {
			raw = prev.raw
		} else {
			*version = prev.version + 1
		}
	}
	if raw == nil {
		*expires = s.opts.Now.Add(lifetime).UTC().Truncate(time.Second)
		signers, err := s.signersFor(keyRole)
		if err != nil {
			s.lack(keyRole) // reported with every other missing key
			return 0, nil, nil
		}
		md.Signatures = nil
		for _, sg := range signers {
			if _, err := md.Sign(sg); err != nil {
				return 0, nil, fmt.Errorf("sign %s: %w", name, err)
			}
		}
		if !t.accepts(keyIDsOf(md.Signatures)) {
			return 0, nil, fmt.Errorf("the keys of signing.tuf.%s are not the keys the %s role trusts; rotate them with `stockpile keys rotate`", keyRole, name)
		}
		if raw, err = md.ToBytes(false); err != nil {
			return 0, nil, err
		}
		s.mu.Lock()
		s.report.Signed = append(s.report.Signed, fmt.Sprintf("%s v%d", name, *version))
		s.mu.Unlock()
	}
	p := versionedPath(name, *version)
	if name == metadata.TIMESTAMP {
		p = TimestampPath
	}
	return *version, raw, s.tree.Add(p, raw)
}

// header returns pointers to the version and expiry of any role.
func header(signed any) (*int64, *time.Time) {
	switch s := signed.(type) {
	case *metadata.RootType:
		return &s.Version, &s.Expires
	case *metadata.TargetsType:
		return &s.Version, &s.Expires
	case *metadata.SnapshotType:
		return &s.Version, &s.Expires
	case *metadata.TimestampType:
		return &s.Version, &s.Expires
	}
	panic(fmt.Sprintf("unknown role type %T", signed))
}

// accepts reports whether signatures by these keys satisfy the role: only
// trusted keys, enough of them.
func (t trust) accepts(keyIDs []string) bool {
	for _, id := range keyIDs {
		if !slices.Contains(t.keyIDs, id) {
			return false
		}
	}
	return len(keyIDs) >= t.threshold
}

func keyIDsOf(sigs []metadata.Signature) []string {
	ids := make([]string, len(sigs))
	for i, sg := range sigs {
		ids[i] = sg.KeyID
	}
	return ids
}

// trust is who may sign a role: its keys and how many must sign.
type trust struct {
	keyIDs    []string
	threshold int
}

func (s *signer) topLevel(role string) trust {
	r := s.root.Signed.Roles[role]
	return trust{r.KeyIDs, r.Threshold}
}

func (s *signer) delegation() trust {
	return trust{s.delegationKeyIDs(), s.opts.Config.Delegations.Threshold}
}
