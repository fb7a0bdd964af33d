package dist

import (
	"path"
	"regexp"
	"strings"
)

// Phase orders uploads so that a client never sees an index that points at a
// missing file: every phase is complete before the next one starts.
type Phase int

const (
	PhaseBlob      Phase = iota // immutable artifacts and their companions
	PhaseLeaf                   // index leaves: Packages, by-hash, hashed repodata, pages
	PhaseRoot                   // roots of trust: Release, InRelease, repomd.xml
	PhaseTUF                    // versioned TUF roles
	PhaseTimestamp              // tuf/timestamp.json, last
)

// Cache-Control values by class.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CacheMutable   = "public, max-age=60"
	// CacheRevalidate is for an index and its detached signature, which
	// clients read together but a CDN would otherwise cache apart: with
	// max-age, one edge could serve a new repomd.xml with the old
	// repomd.xml.asc for up to a minute, and dnf would refuse the pair.
	CacheRevalidate = "public, no-cache"
)

// Rule is how a file is stored and served.
type Rule struct {
	ContentType  string
	CacheControl string
	Phase        Phase
}

// Immutable reports whether the file's bytes can never change under its name.
func (r Rule) Immutable() bool { return r.CacheControl == CacheImmutable }

var (
	hashedRepodata = regexp.MustCompile(`(^|/)repodata/[0-9a-f]{64}-[^/]+$`)
	aptByHash      = regexp.MustCompile(`/by-hash/SHA(256|512)/[0-9a-f]+$`)
	// <repo>/simple/index.json and <repo>/simple/<project>/index.json. (An
	// npm package named "simple" matches too; npm reads its packument as
	// JSON whatever the media type says.)
	pypiPage     = regexp.MustCompile(`^[^/]+/simple/([^/]+/)?index\.json$`)
	versionedTUF = regexp.MustCompile(`(^|/)tuf/[0-9]+\.[^/]+\.json$`)
	hashPrefixed = regexp.MustCompile(`(^|/)[0-9a-f]{64}\.[^/]+$`)
)

// HashPrefixed reports whether p is the hash-prefixed copy of a mutable file
// ("<dir>/<sha256>.<name>"), which TUF clients fetch under consistent
// snapshots instead of the file's own, changing path.
func HashPrefixed(p string) bool { return hashPrefixed.MatchString(p) }

var typeByExt = map[string]string{
	".deb":      "application/vnd.debian.binary-package",
	".rpm":      "application/x-rpm",
	".whl":      "application/zip",
	".zip":      "application/zip",
	".tgz":      "application/gzip",
	".gz":       "application/gzip",
	".xz":       "application/x-xz",
	".zst":      "application/zstd",
	".bz2":      "application/x-bzip2",
	".metadata": "text/plain; charset=utf-8",
	".html":     "text/html; charset=utf-8",
	".css":      "text/css; charset=utf-8",
	".js":       "text/javascript; charset=utf-8",
	".svg":      "image/svg+xml",
	".png":      "image/png",
	".txt":      "text/plain; charset=utf-8",
	".repo":     "text/plain; charset=utf-8",
	".json":     "application/json",
	".xml":      "application/xml",
	".asc":      "application/pgp-signature",
	".gpg":      "application/pgp-signature",
}

// RuleFor returns the rule for the file at tree path p. It depends on the path
// alone, so serve and publish agree without any other state.
func RuleFor(p string) Rule {
	base := path.Base(p)
	ext := path.Ext(base)
	if strings.HasSuffix(base, ".tar.gz") {
		ext = ".tgz"
	}
	r := Rule{ContentType: typeByExt[ext], CacheControl: CacheMutable, Phase: PhaseLeaf}
	if r.ContentType == "" {
		r.ContentType = "application/octet-stream"
	}

	switch {
	case ext == ".deb" || ext == ".rpm" || ext == ".whl" || ext == ".tgz" || ext == ".zip" || ext == ".metadata":
		r.CacheControl, r.Phase = CacheImmutable, PhaseBlob
	case aptByHash.MatchString(p) || hashedRepodata.MatchString(p):
		r.CacheControl = CacheImmutable
	case hashPrefixed.MatchString(p) && !strings.HasPrefix(p, "tuf/"):
		r.CacheControl = CacheImmutable
	case versionedTUF.MatchString(p):
		r.CacheControl, r.Phase = CacheImmutable, PhaseTUF
	case p == "tuf/timestamp.json":
		r.Phase = PhaseTimestamp
	case strings.HasPrefix(p, "tuf/"):
		r.Phase = PhaseTUF
	case base == "InRelease":
		r.Phase = PhaseRoot
	case base == "Release" || base == "Release.gpg" || base == "repomd.xml" || base == "repomd.xml.asc":
		r.CacheControl, r.Phase = CacheRevalidate, PhaseRoot
	}

	switch {
	case base == "Packages" || base == "Release" || base == "InRelease":
		r.ContentType = "text/plain; charset=utf-8"
	case base == "key.asc" || (ext == ".asc" && strings.Contains(p, "/keys/")):
		r.ContentType = "application/pgp-keys"
	case base == "key.gpg":
		r.ContentType = "application/pgp-keys"
	case base == "index.json" && pypiPage.MatchString(p):
		r.ContentType = "application/vnd.pypi.simple.v1+json"
	}
	return r
}
