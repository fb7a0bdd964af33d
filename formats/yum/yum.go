// Package yum reads RPM packages and writes rpm-md repositories, the
// metadata dnf, yum and zypper install from: repodata/repomd.xml with its
// primary, filelists and other indexes (gzip, named by their sha256), a
// signature request for repomd.xml.asc, the public key and a ready-to-use
// .repo file.
package yum

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/stockpile/stockpile/formats"
)

// ChangelogLimit is how many changelog entries other.xml keeps per package,
// the newest ones, as createrepo_c does by default.
const ChangelogLimit = 10

type format struct{}

// New returns the yum format.
func New() formats.Format { return format{} }

// Package is what Inspect reads from an .rpm: the fields repository
// metadata lists, already filtered and normalized as createrepo_c does, so
// that Index only writes them out. Every string is valid UTF-8 holding only
// characters XML allows.
type Package struct {
	Name    string `json:"name"`
	Epoch   uint64 `json:"epoch,omitempty"`
	Version string `json:"version"`
	Release string `json:"release"`
	// Arch is the package architecture, "src" for a source package.
	Arch string `json:"arch"`

	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	Packager    string `json:"packager,omitempty"`
	URL         string `json:"url,omitempty"`
	License     string `json:"license,omitempty"`
	Vendor      string `json:"vendor,omitempty"`
	Group       string `json:"group,omitempty"`
	BuildHost   string `json:"buildhost,omitempty"`
	SourceRPM   string `json:"sourcerpm,omitempty"`
	BuildTime   uint64 `json:"buildtime,omitempty"`

	// Sizes: the .rpm file, the installed files, the uncompressed payload.
	PackageSize   int64  `json:"package_size"`
	InstalledSize uint64 `json:"installed_size"`
	ArchiveSize   uint64 `json:"archive_size"`

	// HeaderStart and HeaderEnd are the byte range of the main header.
	HeaderStart int64 `json:"header_start"`
	HeaderEnd   int64 `json:"header_end"`

	Provides    []Dep `json:"provides,omitempty"`
	Requires    []Dep `json:"requires,omitempty"`
	Conflicts   []Dep `json:"conflicts,omitempty"`
	Obsoletes   []Dep `json:"obsoletes,omitempty"`
	Suggests    []Dep `json:"suggests,omitempty"`
	Enhances    []Dep `json:"enhances,omitempty"`
	Recommends  []Dep `json:"recommends,omitempty"`
	Supplements []Dep `json:"supplements,omitempty"`

	// Files lists every file, directory and ghost, in header order.
	Files []File `json:"files,omitempty"`
	// Changelog holds the newest ChangelogLimit entries, oldest first, as
	// other.xml lists them.
	Changelog []Change `json:"changelog,omitempty"`

	// Signatures are the package's own OpenPGP signatures (the packager's,
	// checked by dnf's gpgcheck); empty for an unsigned package.
	Signatures []Signature `json:"signatures,omitempty"`
}

// Dep is one dependency entry (rpm:entry).
type Dep struct {
	Name string `json:"name"`
	// Flags is the comparison: EQ, LT, GT, LE, GE, or "" for none; Epoch,
	// Version and Release are only set with a comparison.
	Flags   string `json:"flags,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
	Version string `json:"ver,omitempty"`
	Release string `json:"rel,omitempty"`
	// Pre marks a requirement needed by install scripts.
	Pre bool `json:"pre,omitempty"`
}

// File is one path of the package.
type File struct {
	Path string `json:"path"`
	// Type is "dir", "ghost" or "" for a regular file or link.
	Type string `json:"type,omitempty"`
}

// Change is one changelog entry.
type Change struct {
	Author string `json:"author"`
	Date   uint64 `json:"date"`
	Text   string `json:"text"`
}

// Signature describes one OpenPGP signature of the package.
type Signature struct {
	// Covers is "header" (the signatures rpm 4.14+ checks) or
	// "header+payload" (legacy).
	Covers      string `json:"covers"`
	Algorithm   string `json:"algorithm"`
	KeyID       string `json:"key_id"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Signed reports whether the package carries an OpenPGP signature.
func (p *Package) Signed() bool { return len(p.Signatures) > 0 }

// NEVRA returns name-[epoch:]version-release.arch.
func (p *Package) NEVRA() string {
	evr := p.Version + "-" + p.Release
	if p.Epoch != 0 {
		evr = fmt.Sprintf("%d:%s", p.Epoch, evr)
	}
	return p.Name + "-" + evr + "." + p.Arch
}

// DecodeMeta returns the Package that Inspect stored as m.
func DecodeMeta(m formats.Meta) (*Package, error) {
	p, ok := decodeFast(m)
	if !ok {
		p = new(Package)
		if err := json.Unmarshal(m, p); err != nil {
			return nil, fmt.Errorf("yum metadata: %w", err)
		}
	}
	if p.Name == "" || p.Version == "" || p.Release == "" || p.Arch == "" {
		return nil, fmt.Errorf("yum metadata lacks name, version, release or arch")
	}
	return p, nil
}

// Inspect reads the headers of an .rpm, never its payload.
func (format) Inspect(r io.ReaderAt, size int64, filename string) (formats.Meta, error) {
	p, err := ReadPackage(r, size)
	if err != nil {
		return nil, err
	}
	// '<', '>' and '&' are common here (e-mail addresses) and need no
	// escaping outside HTML; written as is they also read back faster.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
