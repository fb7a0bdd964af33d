package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/internal/atomicfile"
	"github.com/stockpile/stockpile/signing/tuf"
)

// rootRoles maps the top-level roles a root names to their settings.
var rootRoles = map[string]string{
	metadata.ROOT:      config.RoleRoot,
	metadata.TARGETS:   config.RoleTargets,
	metadata.SNAPSHOT:  config.RoleSnapshot,
	metadata.TIMESTAMP: config.RoleTimestamp,
}

// createTUFKeys makes the development TUF keys repos.yaml names by a path
// inside the repository, then the first root when there is none yet.
func createTUFKeys(ctx context.Context, opts KeyOptions, reg *config.Registry) (bool, error) {
	cfg := reg.Signing.TUF
	if cfg == nil {
		return false, nil
	}
	made := false
	for _, role := range config.TUFRoles {
		for _, ref := range cfg.Role(role).Keys {
			if strings.Contains(ref, ":") {
				continue
			}
			ok, err := writePrivateKey(opts, ref)
			if err != nil {
				return made, err
			}
			made = made || ok
		}
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, tuf.RootPath(1))); err == nil {
		return made, nil
	}
	keys := map[string][]*metadata.Key{}
	thresholds := map[string]int{}
	var rootSigners []signature.Signer
	for role, setting := range rootRoles {
		signers, err := loadTUFSigners(ctx, opts.Dir, cfg, setting, opts.getenv())
		if err != nil {
			return made, err
		}
		for _, s := range signers {
			k, _, err := tuf.PublicKey(s)
			if err != nil {
				return made, err
			}
			keys[role] = append(keys[role], k)
		}
		thresholds[role] = cfg.Role(setting).Threshold
		if role == metadata.ROOT {
			rootSigners = signers
		}
	}
	root, err := tuf.NewRoot(keys, thresholds, opts.Now.Add(time.Duration(cfg.Root.Expires)))
	if err != nil {
		return made, err
	}
	if _, err := tuf.SignRoot(root, nil, rootSigners); err != nil {
		return made, err
	}
	return true, writeRoot(opts.Dir, root)
}

// writePrivateKey makes an Ed25519 key at ref unless one is there; its
// public half goes into the root, not into a file.
func writePrivateKey(opts KeyOptions, ref string) (bool, error) {
	return writeKeyPair(opts, ref, "", func() ([]byte, []byte, error) {
		pem, err := tuf.GenerateKey()
		return pem, nil, err
	})
}

// loadTUFSigners loads the private keys repos.yaml names for a role, and
// every problem with them.
func loadTUFSigners(ctx context.Context, dir string, cfg *config.TUF, role string, getenv func(string) string) ([]signature.Signer, error) {
	var out []signature.Signer
	var errs []error
	for _, ref := range cfg.Role(role).Keys {
		s, err := tuf.LoadSigner(ctx, ref, dir, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// writeRoot writes a complete root as tuf/N.root.json and tuf/root.json.
func writeRoot(dir string, root *metadata.Metadata[metadata.RootType]) error {
	data, err := root.ToBytes(true)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := atomicfile.Write(filepath.Join(dir, filepath.FromSlash(tuf.RootPath(root.Signed.Version))), bytes.NewReader(data), 0o644); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, filepath.FromSlash(tuf.RootFile)), bytes.NewReader(data), 0o644)
}

// RoleKeys describes the keys of one TUF role.
type RoleKeys struct {
	Role      string    `json:"role"`
	Threshold int       `json:"threshold"`
	Trusted   []string  `json:"trusted"` // key IDs the root (or targets role) trusts
	Expires   time.Time `json:"expires,omitzero"`
	Keys      []KeyRef  `json:"keys"` // what repos.yaml configures
}

// KeyRef is a configured private key and whether it is usable.
type KeyRef struct {
	Ref     string `json:"ref"`
	KeyID   string `json:"keyid,omitempty"`
	Trusted bool   `json:"trusted"`
	Error   string `json:"error,omitempty"`
}

// ListTUFKeys reports, for every role, the keys the current root trusts and
// the private keys repos.yaml configures.
func ListTUFKeys(ctx context.Context, dir string, getenv func(string) string) ([]RoleKeys, error) {
	cfg, root, err := loadTUF(dir)
	if err != nil {
		return nil, err
	}
	var out []RoleKeys
	for _, setting := range config.TUFRoles {
		rk := RoleKeys{Role: setting, Threshold: cfg.Role(setting).Threshold}
		if r := root.Signed.Roles[setting]; r != nil {
			rk.Threshold, rk.Trusted = r.Threshold, r.KeyIDs
			if setting == config.RoleRoot {
				rk.Expires = root.Signed.Expires
			}
		}
		for _, ref := range cfg.Role(setting).Keys {
			kr := KeyRef{Ref: ref}
			s, err := tuf.LoadSigner(ctx, ref, dir, getenv)
			if err != nil {
				kr.Error = err.Error()
			} else if _, kr.KeyID, err = tuf.PublicKey(s); err != nil {
				kr.Error = err.Error()
			}
			kr.Trusted = kr.KeyID != "" && (rk.Trusted == nil || slices.Contains(rk.Trusted, kr.KeyID))
			rk.Keys = append(rk.Keys, kr)
		}
		out = append(out, rk)
	}
	return out, nil
}

// ExportTUFKeys returns the public TUF keys of a role's configured private
// keys, by key ID, as they appear in root or targets metadata.
func ExportTUFKeys(ctx context.Context, dir, role string, getenv func(string) string) (map[string]*metadata.Key, error) {
	cfg, _, err := loadTUF(dir)
	if err != nil {
		return nil, err
	}
	if cfg.Role(role) == nil {
		return nil, fmt.Errorf("unknown TUF role %q (want one of %s)", role, strings.Join(config.TUFRoles, ", "))
	}
	out := map[string]*metadata.Key{}
	for _, ref := range cfg.Role(role).Keys {
		s, err := tuf.LoadSigner(ctx, ref, dir, getenv)
		if err != nil {
			return nil, err
		}
		k, id, err := tuf.PublicKey(s)
		if err != nil {
			return nil, err
		}
		out[id] = k
	}
	return out, nil
}

// RotateOptions configure RotateTUFKey.
type RotateOptions struct {
	Dir    string
	Role   string   // root, targets, snapshot or timestamp
	Keys   []string // references to the new private keys; made when missing
	Now    time.Time
	Getenv func(string) string
}

// RootStatus says where a new root stands.
type RootStatus struct {
	Version int64  `json:"version"`
	Path    string `json:"path"`
	// Missing signatures before clients accept it: from its own root keys
	// and from the previous root's.
	MissingOwn      int `json:"missing_own"`
	MissingPrevious int `json:"missing_previous"`
	// Missing is the fewest further signatures that complete it (a key
	// both roots trust counts for both).
	Missing int `json:"missing"`
}

// Complete reports whether clients will accept the root.
func (s RootStatus) Complete() bool { return s.MissingOwn == 0 && s.MissingPrevious == 0 }

func (s RootStatus) String() string {
	if s.Complete() {
		return fmt.Sprintf("root version %d is complete: %s", s.Version, s.Path)
	}
	return fmt.Sprintf("root version %d is staged in %s and needs %d more signatures (%d missing for its own root keys' threshold, %d for the previous root's); collect them with `stockpile keys sign-root`",
		s.Version, s.Path, s.Missing, s.MissingOwn, s.MissingPrevious)
}

// RotateTUFKey makes root N+1 in which role trusts the new keys, signed by
// the root keys at hand: the configured (old) ones and, for the root role,
// the new ones. A root that lacks signatures is staged for sign-root.
func RotateTUFKey(ctx context.Context, opts RotateOptions) (*RootStatus, error) {
	cfg, root, err := loadTUF(opts.Dir)
	if err != nil {
		return nil, err
	}
	if _, ok := rootRoles[opts.Role]; !ok {
		if opts.Role == config.RoleDelegations {
			return nil, errors.New("the delegations keys are not in the root: point signing.tuf.delegations at the new key; the next build re-signs the targets role (with the targets key)")
		}
		return nil, fmt.Errorf("unknown TUF role %q", opts.Role)
	}
	if len(opts.Keys) == 0 {
		return nil, errors.New("name the new key with --key REF (made when it is a missing path inside the repository)")
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, tuf.StagedRoot)); err == nil {
		return nil, fmt.Errorf("%s exists: finish it with `stockpile keys sign-root` or remove it first", tuf.StagedRoot)
	}
	var newSigners []signature.Signer
	var keys []*metadata.Key
	for _, ref := range opts.Keys {
		if !strings.Contains(ref, ":") {
			if _, err := writePrivateKey(KeyOptions{Dir: opts.Dir, IfMissing: true}, ref); err != nil {
				return nil, err
			}
		}
		s, err := tuf.LoadSigner(ctx, ref, opts.Dir, opts.Getenv)
		if err != nil {
			return nil, err
		}
		k, _, err := tuf.PublicKey(s)
		if err != nil {
			return nil, err
		}
		newSigners, keys = append(newSigners, s), append(keys, k)
	}
	current, err := root.ToBytes(false)
	if err != nil {
		return nil, err
	}
	next, err := tuf.ParseRoot(current)
	if err != nil {
		return nil, err
	}
	next.Signatures = nil
	next.Signed.Version++
	next.Signed.Expires = opts.Now.Add(time.Duration(cfg.Root.Expires)).UTC().Truncate(time.Second)
	threshold := min(cfg.Role(opts.Role).Threshold, len(keys))
	if err := tuf.SetRoleKeys(&next.Signed, opts.Role, keys, threshold); err != nil {
		return nil, err
	}
	// The root keys at hand sign; those held elsewhere sign later.
	signers, _ := loadTUFSigners(ctx, opts.Dir, cfg, config.RoleRoot, opts.Getenv)
	if opts.Role == metadata.ROOT {
		signers = append(signers, newSigners...)
	}
	if _, err := tuf.SignRoot(next, root, signers); err != nil {
		return nil, err
	}
	return saveRoot(opts.Dir, next, root)
}

// SignStagedRoot adds the signatures of the given root keys (default: the
// configured ones) to the staged root, and makes it current once complete.
func SignStagedRoot(ctx context.Context, dir string, refs []string, getenv func(string) string) (*RootStatus, error) {
	cfg, root, err := loadTUF(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, tuf.StagedRoot))
	if err != nil {
		return nil, fmt.Errorf("no staged root: %w", err)
	}
	staged, err := tuf.ParseRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tuf.StagedRoot, err)
	}
	if len(refs) == 0 {
		refs = cfg.Root.Keys
	}
	var signers []signature.Signer
	for _, ref := range refs {
		s, err := tuf.LoadSigner(ctx, ref, dir, getenv)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if n, err := tuf.SignRoot(staged, root, signers); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, errors.New("none of these keys is a root key of the staged or the current root")
	}
	return saveRoot(dir, staged, root)
}

// StagedRootStatus reports on a root waiting for signatures, or nil.
func StagedRootStatus(fsys fs.FS) (*RootStatus, error) {
	data, err := fs.ReadFile(fsys, tuf.StagedRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	staged, err := tuf.ParseRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tuf.StagedRoot, err)
	}
	var prev *metadata.Metadata[metadata.RootType]
	if staged.Signed.Version > 1 {
		if prevData, err := fs.ReadFile(fsys, tuf.RootPath(staged.Signed.Version-1)); err == nil {
			prev, _ = tuf.ParseRoot(prevData)
		}
	}
	return rootStatus(staged, prev, tuf.StagedRoot)
}

func rootStatus(root, prev *metadata.Metadata[metadata.RootType], path string) (*RootStatus, error) {
	own, previous, err := tuf.MissingRootSignatures(root, prev)
	if err != nil {
		return nil, err
	}
	total, err := tuf.RootSignaturesNeeded(root, prev)
	if err != nil {
		return nil, err
	}
	return &RootStatus{Version: root.Signed.Version, Path: path, MissingOwn: own, MissingPrevious: previous, Missing: total}, nil
}

// saveRoot writes a complete root as the current one, or stages it.
func saveRoot(dir string, next, prev *metadata.Metadata[metadata.RootType]) (*RootStatus, error) {
	st, err := rootStatus(next, prev, "")
	if err != nil {
		return nil, err
	}
	staged := filepath.Join(dir, filepath.FromSlash(tuf.StagedRoot))
	if !st.Complete() {
		st.Path = tuf.StagedRoot
		data, err := next.ToBytes(true)
		if err != nil {
			return nil, err
		}
		return st, atomicfile.Write(staged, bytes.NewReader(append(data, '\n')), 0o644)
	}
	st.Path = tuf.RootPath(next.Signed.Version)
	if err := writeRoot(dir, next); err != nil {
		return nil, err
	}
	if err := os.Remove(staged); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return st, nil
}

// loadTUF reads the TUF settings and the current root of a registry
// repository's working tree.
func loadTUF(dir string) (*config.TUF, *metadata.Metadata[metadata.RootType], error) {
	reg, err := config.LoadConfig(os.DirFS(dir))
	if err != nil {
		return nil, nil, err
	}
	if reg.Signing.TUF == nil {
		return nil, nil, fmt.Errorf("%s has no signing.tuf settings", config.ConfigFile)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tuf.RootFile)))
	if err != nil {
		return nil, nil, fmt.Errorf("no TUF root (run `stockpile keys create`): %w", err)
	}
	root, err := tuf.ParseRoot(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", tuf.RootFile, err)
	}
	return reg.Signing.TUF, root, nil
}

func (o KeyOptions) getenv() func(string) string {
	if o.Getenv == nil {
		return os.Getenv
	}
	return o.Getenv
}
