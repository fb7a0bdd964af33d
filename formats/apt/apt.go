// Package apt reads Debian binary packages and writes apt repositories:
// pool files, Packages indexes with their compressed and by-hash variants,
// and Release files for the signing step to sign.
package apt

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/stockpile/stockpile/formats"
)

// Limits on what Inspect reads from a .deb.
const (
	maxControlTar  = 64 << 20 // decompressed control.tar
	maxControlFile = 1 << 20  // the control file in it
)

type format struct {
	maxControlTar int64 // tests lower it to fuzz faster
}

// New returns the apt format.
func New() formats.Format { return format{maxControlTar: maxControlTar} }

// Package is what Inspect reads from a .deb: the control paragraph as written
// in the package, and the fields the index needs from it.
type Package struct {
	// Control is the control paragraph exactly as in the .deb, each line
	// ending in "\n", without blank lines.
	Control      string `json:"control"`
	Package      string `json:"package"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	// Source is the source package name, without a version; Package if the
	// control file has no Source field.
	Source string `json:"source"`
}

// DecodeMeta returns the Package that Inspect stored as m.
func DecodeMeta(m formats.Meta) (*Package, error) {
	var p Package
	if err := json.Unmarshal(m, &p); err != nil {
		return nil, fmt.Errorf("apt metadata: %w", err)
	}
	if p.Control == "" || p.Package == "" || p.Version == "" || p.Architecture == "" || p.Source == "" {
		return nil, fmt.Errorf("apt metadata lacks control, package, version, architecture or source")
	}
	return &p, nil
}

// Field returns the value of a control field (case-insensitive), or "".
// Continuation lines follow the first line after "\n", as written.
func (p *Package) Field(name string) string {
	return p.Fields(name)[0]
}

// Fields returns several control fields, parsing the control file once.
func (p *Package) Fields(names ...string) []string {
	out := make([]string, len(names))
	par, err := parseControl([]byte(p.Control))
	if err != nil {
		return out
	}
	for i, name := range names {
		out[i] = par.Get(name)
	}
	return out
}

// Inspect reads the control file of a .deb. It reads the ar members up to
// control.tar and the header of data.tar, never data.tar's contents.
func (f format) Inspect(r io.ReaderAt, size int64, filename string) (formats.Meta, error) {
	control, err := readControl(r, size, f.maxControlTar)
	if err != nil {
		return nil, err
	}
	par, err := parseControl(control)
	if err != nil {
		return nil, err
	}
	pkg, err := packageOf(par)
	if err != nil {
		return nil, err
	}
	return json.Marshal(pkg)
}
