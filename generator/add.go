package generator

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/atomicfile"
)

// AddOptions configure Add.
type AddOptions struct {
	Dir       string // the registry repository (working tree)
	Repo      string // repository to add to; by default the one of the file's format
	URL       string // remote source instead of blobs/; a URL ending in "/" gets the file name appended
	Suite     string // apt placement (optional)
	Component string
	Files     []string // artifact files on local disk
}

// Added describes one artifact Add recorded.
type Added struct {
	File      string `json:"file"`
	Repo      string `json:"repository"`
	Manifest  string `json:"manifest"`
	Source    string `json:"source"`
	SHA256    string `json:"sha256"`
	Unchanged bool   `json:"unchanged"` // the same bytes were already listed
}

// formatByExt guesses an artifact's format from its file name.
func formatByExt(name string) string {
	switch {
	case strings.HasSuffix(name, ".deb"):
		return "apt"
	case strings.HasSuffix(name, ".rpm"):
		return "yum"
	case strings.HasSuffix(name, ".whl"), strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".zip"):
		return "pypi"
	case strings.HasSuffix(name, ".tgz"):
		return "npm"
	}
	return ""
}

// Add reads each artifact, checks that its format can read it, stores its
// bytes under blobs/ (or records a URL) and writes its manifest. An artifact
// already listed with other bytes is refused: published artifacts are
// immutable.
func Add(ctx context.Context, opts AddOptions) ([]Added, error) {
	reg, err := config.LoadConfig(os.DirFS(opts.Dir))
	if err != nil {
		return nil, err
	}
	if len(opts.Files) > 1 && opts.URL != "" && !strings.HasSuffix(opts.URL, "/") {
		return nil, fmt.Errorf("--url must end in / when adding several files")
	}
	var out []Added
	for _, file := range opts.Files {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		a, err := addOne(reg, opts, file)
		if err != nil {
			return out, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func addOne(reg *config.Registry, opts AddOptions, file string) (Added, error) {
	name := filepath.Base(file)
	repo, err := pickRepository(reg, opts.Repo, name)
	if err != nil {
		return Added{}, err
	}
	f, ok := Formats()[repo.Format]
	if !ok {
		return Added{}, fmt.Errorf("repository %q: the %s format is not supported yet", repo.Name, repo.Format)
	}
	d, err := digestFile(file)
	if err != nil {
		return Added{}, err
	}
	if _, err := formats.InspectFile(f, file, name); err != nil {
		return Added{}, fmt.Errorf("not a valid %s artifact: %w", repo.Format, err)
	}

	manifestPath := path.Join(config.ManifestDir, repo.Name, name+".yaml")
	added := Added{File: name, Repo: repo.Name, Manifest: manifestPath, SHA256: d.SHA256}
	if old, err := os.ReadFile(filepath.Join(opts.Dir, manifestPath)); err == nil {
		m, err := config.ParseManifest(manifestPath, old, reg)
		if err != nil {
			return Added{}, err
		}
		if m.SHA256 != d.SHA256 {
			return Added{}, fmt.Errorf("%s already lists %s with sha256 %s, this file has %s: published artifacts never change; release a new version instead", m.Pos("sha256"), name, m.SHA256, d.SHA256)
		}
		added.Source, added.Unchanged = m.Source, true
		return added, nil
	}

	switch {
	case opts.URL != "" && strings.HasSuffix(opts.URL, "/"):
		added.Source = opts.URL + name
	case opts.URL != "":
		added.Source = opts.URL
	default:
		added.Source = path.Join(config.BlobDir, repo.Name, name)
		if err := copyFile(file, filepath.Join(opts.Dir, filepath.FromSlash(added.Source))); err != nil {
			return Added{}, err
		}
	}
	data, err := renderManifest(reg, manifestPath, manifest{
		File: name, SHA256: d.SHA256, Size: d.Size, Source: added.Source,
		Suite: opts.Suite, Component: opts.Component,
	})
	if err != nil {
		return Added{}, err
	}
	dst := filepath.Join(opts.Dir, filepath.FromSlash(manifestPath))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return Added{}, err
	}
	return added, os.WriteFile(dst, data, 0o644)
}

// manifest is what add and sync write about an artifact: the rest is read
// from the artifact at build time.
type manifest struct {
	File       string `yaml:"file"`
	SHA256     string `yaml:"sha256"`
	Size       int64  `yaml:"size"`
	Source     string `yaml:"source"`
	Suite      string `yaml:"suite,omitempty"`
	Component  string `yaml:"component,omitempty"`
	Deprecated string `yaml:"deprecated,omitempty"`
}

// renderManifest writes m as YAML (quoting what needs it, such as a URL
// with ": " or a sha256 of digits only) and checks it reads back as a
// valid manifest at path.
func renderManifest(reg *config.Registry, path string, m manifest) ([]byte, error) {
	data, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := config.ParseManifest(path, data, reg); err != nil {
		return nil, err
	}
	return data, nil
}

func pickRepository(reg *config.Registry, name, file string) (*config.Repository, error) {
	if name != "" {
		repo := reg.Repository(name)
		if repo == nil {
			return nil, fmt.Errorf("no repository %q in %s", name, config.ConfigFile)
		}
		return repo, nil
	}
	format := formatByExt(file)
	if format == "" {
		return nil, fmt.Errorf("cannot tell the format from the file name; name the repository with --repo")
	}
	var found []*config.Repository
	for _, repo := range reg.Repositories {
		if repo.Format == format {
			found = append(found, repo)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no %s repository in %s", format, config.ConfigFile)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("several %s repositories in %s; choose one with --repo", format, config.ConfigFile)
}

func digestFile(p string) (digest.Set, error) {
	f, err := os.Open(p)
	if err != nil {
		return digest.Set{}, err
	}
	defer f.Close()
	return digest.Of(f)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, in, 0o644)
}
