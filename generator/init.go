package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/internal/atomicfile"
	"github.com/stockpile/stockpile/signing"
)

// Private keys live under .stockpile/, which Init makes Git ignore.
const (
	StateDir       = ".stockpile"
	openPGPKeyPath = ".stockpile/keys/openpgp.asc"
	openPGPPubPath = "keys/openpgp.asc"
	npmKeyPath     = ".stockpile/keys/npm.pem"
	npmPubPath     = "keys/npm.pub"
)

// InitOptions configure Init.
type InitOptions struct {
	Dir     string
	Name    string // registry name; defaults to the folder's name
	BaseURL string
	Now     time.Time
}

// Init scaffolds a registry repository in dir: repos.yaml with one repository
// per format, the manifest and blob folders, a development OpenPGP key under
// .stockpile/ (Git-ignored) and its public half under keys/.
func Init(opts InitOptions) error {
	dir := opts.Dir
	if _, err := os.Stat(filepath.Join(dir, config.ConfigFile)); err == nil {
		return fmt.Errorf("%s already exists in %s", config.ConfigFile, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	name := opts.Name
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		name = filepath.Base(abs)
	}
	baseURL := opts.BaseURL
	if baseURL == "" {
		baseURL = "http://127.0.0.1:8080/"
	}
	files := []scaffoldFile{
		{config.ConfigFile, []byte(fmt.Sprintf(initConfig, name, baseURL, openPGPKeyPath, npmKeyPath)), 0o644},
		{".gitignore", []byte(StateDir + "/\n/public/\n"), 0o644},
	}
	for _, repo := range []string{"apt", "yum", "pypi", "npm"} {
		files = append(files, scaffoldFile{filepath.Join(config.ManifestDir, repo, ".gitkeep"), nil, 0o644})
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if _, err := os.Stat(p); err == nil && f.path == ".gitignore" {
			continue // keep the user's own
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return err
		}
	}
	_, err := CreateKeys(KeyOptions{Dir: dir, Name: name, Now: opts.Now})
	return err
}

// KeyOptions configure CreateKeys.
type KeyOptions struct {
	Dir       string
	Name      string // who the key belongs to; defaults to the registry name
	Now       time.Time
	IfMissing bool                // keep an existing key instead of refusing
	Getenv    func(string) string // for env: key references; default os.Getenv
}

// CreateKeys makes the development OpenPGP key that repos.yaml names
// (signing.openpgp, a path inside the repository) and writes its public half
// to keys/openpgp.asc; and, when signing.npm is a path inside the
// repository, the npm registry key with its public half in keys/npm.pub. It
// reports whether a key was created.
func CreateKeys(opts KeyOptions) (bool, error) {
	reg, err := config.LoadConfig(os.DirFS(opts.Dir))
	if err != nil {
		return false, err
	}
	made, err := createOpenPGPKey(opts, reg)
	if err != nil {
		return made, err
	}
	madeNPM, err := createNPMKey(opts, reg)
	if err != nil {
		return made || madeNPM, err
	}
	madeTUF, err := createTUFKeys(context.Background(), opts, reg)
	return made || madeNPM || madeTUF, err
}

// createNPMKey makes the ECDSA P-256 key of npm registry signatures. A
// reference outside the repository (env:, file://) names a key managed
// elsewhere, so nothing is made.
func createNPMKey(opts KeyOptions, reg *config.Registry) (bool, error) {
	ref := reg.Signing.NPM
	if ref == "" || strings.Contains(ref, ":") {
		return false, nil
	}
	return writeKeyPair(opts, ref, npmPubPath, func() ([]byte, []byte, error) {
		key, err := signing.GenerateECDSA()
		if err != nil {
			return nil, nil, err
		}
		priv, err := key.PrivatePEM()
		return priv, key.PublicPEM(), err
	})
}

func createOpenPGPKey(opts KeyOptions, reg *config.Registry) (bool, error) {
	ref := reg.Signing.OpenPGP
	if ref == "" || strings.Contains(ref, ":") {
		return false, fmt.Errorf("signing.openpgp in %s is %q; development keys are made only for a path inside the repository", config.ConfigFile, ref)
	}
	name := opts.Name
	if name == "" {
		name = reg.Name
	}
	return writeKeyPair(opts, ref, openPGPPubPath, func() ([]byte, []byte, error) {
		key, err := signing.GenerateOpenPGP(name+" signing key", "", opts.Now)
		if err != nil {
			return nil, nil, err
		}
		priv, err := key.ArmoredPrivate()
		if err != nil {
			return nil, nil, err
		}
		pub, err := key.ArmoredPublic()
		return priv, pub, err
	})
}

// writeKeyPair makes a key with generate unless the private half at ref (a
// path inside the repository) exists, and writes the private half there
// (0600) and the public half, when there is one, at pubPath.
func writeKeyPair(opts KeyOptions, ref, pubPath string, generate func() (priv, pub []byte, err error)) (bool, error) {
	privPath := filepath.Join(opts.Dir, filepath.FromSlash(ref))
	if _, err := os.Stat(privPath); err == nil {
		if opts.IfMissing {
			return false, nil
		}
		return false, fmt.Errorf("%s already exists; remove it first to replace the key", ref)
	}
	priv, pub, err := generate()
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(privPath, bytes.NewReader(priv), 0o600); err != nil || pubPath == "" {
		return err == nil, err
	}
	return true, atomicfile.Write(filepath.Join(opts.Dir, pubPath), bytes.NewReader(pub), 0o644)
}

type scaffoldFile struct {
	path string
	data []byte
	mode os.FileMode
}

const initConfig = `# Stockpile registry settings. Manifests live under packages/<repository>/.
name: %q
base_url: %q
signing:
  openpgp: %s   # private key; Git-ignored. CI: use env:STOCKPILE_OPENPGP_KEY
  npm: %s           # npm registry signatures (ECDSA P-256); Git-ignored. CI: env:STOCKPILE_NPM_KEY
  # TUF metadata over every published file. The root (tuf/root.json, made
  # with these keys) is committed; keep the root and targets keys offline,
  # and give CI the online ones (delegations, snapshot, timestamp) as env:NAME
  # or awskms:///alias/NAME.
  tuf:
    root: {keys: [.stockpile/keys/tuf-root.pem], expires: 365d}
    targets: {keys: [.stockpile/keys/tuf-targets.pem], expires: 90d}
    delegations: {keys: [.stockpile/keys/tuf-delegations.pem], expires: 90d}
    snapshot: {keys: [.stockpile/keys/tuf-snapshot.pem], expires: 7d}
    timestamp: {keys: [.stockpile/keys/tuf-timestamp.pem], expires: 1d}
repositories:
  - name: apt
    format: apt
    apt:
      suites: [stable]
      components: [main]
      architectures: [amd64, arm64]
  - name: yum
    format: yum
  - name: pypi
    format: pypi
  - name: npm
    format: npm
`
