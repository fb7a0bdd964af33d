// Package formats defines what a package format implements: reading the
// metadata of one artifact, and writing a repository's index files into a
// tree. Formats know nothing of keys, networks or the command line.
package formats

import (
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
)

// Format is one kind of repository (apt, yum, pypi, npm).
type Format interface {
	// Inspect reads what the index needs from one artifact's bytes. The result
	// is cached by the artifact's sha256, so it must depend on the bytes and
	// the file name alone. Malformed or hostile input returns an error.
	Inspect(r io.ReaderAt, size int64, filename string) (Meta, error)

	// Index writes the repository's index files, and places its artifacts,
	// into the tree. Artifacts are sorted by manifest path.
	Index(b *Build, repo *config.Repository, artifacts []*Artifact, tree *dist.Tree) error
}

// InspectFile runs f's Inspect on the artifact at local path p, named name.
func InspectFile(f Format, p, name string) (Meta, error) {
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	return f.Inspect(file, st.Size(), name)
}

// Meta is a format's metadata for one artifact, as JSON (it is cached on disk).
type Meta = json.RawMessage

// Artifact is one verified artifact of a repository.
type Artifact struct {
	Manifest *config.Manifest
	Digests  digest.Set
	Meta     Meta   // what Inspect returned for these bytes
	Local    string // path of the verified bytes on local disk
	// Added is when the manifest entered Git (the commit date), or the build
	// time for a manifest not committed yet. Deterministic for a commit.
	Added time.Time
}

// Build carries what every format may need from the registry being built.
type Build struct {
	// Now is the build time: SOURCE_DATE_EPOCH, the commit time or the clock.
	Now time.Time
	// BaseURL is the public URL of the tree's root, ending in "/"; may be empty.
	BaseURL string
	// Compress makes .gz and .xz variants of index files.
	Compress *dist.Compressor
	// RegistryKey signs what a format embeds in its own documents (npm's
	// dist.signatures); nil when repos.yaml names no such key.
	RegistryKey RegistryKey
	// ReadSource reads a file of the registry repository being built (a
	// public key that repos.yaml names, say).
	ReadSource func(path string) ([]byte, error)
	// Previous reads a file of the previously built tree (for counters that
	// must only grow), or returns an error if there is none.
	Previous func(path string) ([]byte, error)
}

// RegistryKey is a registry's own signing key for signatures that live inside
// index documents rather than beside them.
type RegistryKey interface {
	// KeyID is "SHA256:" and the unpadded-or-padded base64 of the sha256 of
	// the public key's DER SPKI, as npm's -/npm/v1/keys lists it.
	KeyID() string
	// PublicKey is the DER-encoded SubjectPublicKeyInfo.
	PublicKey() []byte
	// Sign returns an ASN.1 DER ECDSA P-256 signature over SHA-256(msg).
	Sign(msg []byte) ([]byte, error)
}
