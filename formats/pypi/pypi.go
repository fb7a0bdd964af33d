// Package pypi reads Python distributions (wheels and sdists) and writes a
// static Python package index: the PEP 503 HTML and PEP 691 JSON pages of
// the Simple Repository API (with PEP 592 yanking, PEP 658/714 metadata
// files and PEP 700 fields), and the files themselves.
package pypi

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/stockpile/stockpile/formats"
)

type format struct {
	lim limits // tests lower them to fuzz faster
}

// New returns the pypi format.
func New() formats.Format { return format{lim: defaultLimits} }

// Dist is what Inspect reads from a distribution file.
type Dist struct {
	Kind           string `json:"kind"`    // Wheel or Sdist
	Name           string `json:"name"`    // as in the metadata
	Version        string `json:"version"` // as in the metadata
	RequiresPython string `json:"requires_python,omitempty"`
	// Metadata is the wheel's METADATA or the sdist's PKG-INFO, byte for
	// byte: a wheel's is served as its .metadata file, whose hash pip checks.
	// It is valid UTF-8 (Inspect checks), so a JSON string keeps it exact.
	Metadata string `json:"core_metadata"`
}

// DecodeMeta returns the Dist that Inspect stored as m.
func DecodeMeta(m formats.Meta) (*Dist, error) {
	var d Dist
	if err := json.Unmarshal(m, &d); err != nil {
		return nil, fmt.Errorf("pypi metadata: %w", err)
	}
	if (d.Kind != Wheel && d.Kind != Sdist) || d.Name == "" || d.Version == "" || len(d.Metadata) == 0 {
		return nil, fmt.Errorf("pypi metadata lacks kind, name, version or core_metadata (cached by an older stockpile? clear the metadata cache)")
	}
	return &d, nil
}

// Inspect reads the core metadata of a wheel (.whl) or an sdist (.tar.gz,
// .zip) and checks that the file name names the same project and version.
func (f format) Inspect(r io.ReaderAt, size int64, filename string) (formats.Meta, error) {
	kind, stem, err := kindOf(filename)
	if err != nil {
		return nil, err
	}
	var metadata []byte
	var m *Metadata
	switch {
	case kind == Wheel:
		// Check the name before reading: pip would not even consider
		// a file it cannot parse the name of.
		if _, _, err := parseWheelName(filename); err != nil {
			return nil, err
		}
		metadata, m, err = readWheel(r, size, f.lim)
	default:
		if isZip(filename) {
			metadata, err = readSdistZip(r, size, stem, f.lim)
		} else {
			metadata, err = readSdistTar(r, size, stem, f.lim)
		}
		if err == nil {
			m, err = ParseMetadata(metadata)
			if err != nil {
				err = fmt.Errorf("PKG-INFO: %w", err)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	name, version, requiresPython, err := m.core()
	if err != nil {
		return nil, err
	}
	if _, err := checkFileName(filename, kind, name, version); err != nil {
		return nil, err
	}
	return json.Marshal(&Dist{Kind: kind, Name: name, Version: version, RequiresPython: requiresPython, Metadata: string(metadata)})
}

func isZip(file string) bool { return len(file) > 4 && file[len(file)-4:] == ".zip" }
