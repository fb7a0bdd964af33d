// Package rpmgen writes RPM packages in pure Go, for tests, fuzz seeds,
// benchmark corpora and examples: the lead, a signature header with the
// digests rpm checks (and optionally an OpenPGP signature), a main header
// with an immutable region, and a gzip-compressed cpio payload. rpm and dnf
// read and install what it writes. Without a signature its output depends
// on its input alone.
package rpmgen

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// Package describes the package to write. Empty strings leave their tags
// out unless a default is named.
type Package struct {
	Name, Version, Release string
	Epoch                  uint32 // written when not 0
	Arch                   string // default noarch

	Summary, Description  string
	License               string // default MIT
	Group                 string // default Unspecified
	URL, Vendor, Packager string
	BuildHost             string // default localhost
	BuildTime             int64  // Unix seconds; default 1700000000; also every file's mtime

	// SourceRPM is the source package's file name; by default
	// <name>-<version>-<release>.src.rpm. Source makes a source package
	// instead (no SOURCERPM tag).
	SourceRPM string
	Source    bool
	// NoSelfProvide leaves out the "name = [epoch:]version-release"
	// provide rpmbuild adds.
	NoSelfProvide bool

	Provides, Requires, Conflicts, Obsoletes    []Dep
	Recommends, Suggests, Supplements, Enhances []Dep

	Files []File
	// Changelog is written as given: rpm lists the newest entry first.
	Changelog []Change

	// Extra tags for the main header, e.g. to make hostile packages.
	Extra []Tag
}

// Dep is one dependency.
type Dep struct {
	Name    string
	Flags   uint32 // rpm.Sense* bits: comparison, pre-requisite, ...
	Version string // [epoch:]version[-release]
}

// File is one path of the package.
type File struct {
	Path   string // absolute
	Data   []byte // a regular file's contents
	Mode   uint16 // permission bits; default 0644, 0755 for directories
	Dir    bool
	Link   string // symlink target
	Ghost  bool   // listed, not in the payload
	Config bool
}

// Change is one changelog entry.
type Change struct {
	Time   int64
	Author string
	Text   string
}

// Tag is a raw header entry.
type Tag struct {
	Tag   rpm.Tag
	Type  rpm.Type
	Count uint32 // 0: derived from Data for strings, or len(Data)/width
	Data  []byte // encoded value, big-endian
}

// Options say how to write the package.
type Options struct {
	// Signer signs the main header (the signature rpm 4.14+ and dnf's
	// gpgcheck verify). nil leaves the package unsigned.
	Signer *openpgp.Entity
	// SignTime is the signature's creation time; default BuildTime.
	SignTime time.Time
}

// FileName returns the conventional file name, name-version-release.arch.rpm.
func (p Package) FileName() string {
	arch := p.arch()
	if p.Source {
		arch = "src"
	}
	return p.Name + "-" + p.Version + "-" + p.Release + "." + arch + ".rpm"
}

func (p Package) arch() string {
	if p.Arch == "" {
		return "noarch"
	}
	return p.Arch
}

func (p Package) evr() string {
	evr := p.Version + "-" + p.Release
	if p.Epoch != 0 {
		evr = fmt.Sprintf("%d:%s", p.Epoch, evr)
	}
	return evr
}

// Build returns the bytes of the package.
func Build(p Package, opts Options) ([]byte, error) {
	if p.Name == "" || p.Version == "" || p.Release == "" {
		return nil, errors.New("rpmgen: name, version and release are required")
	}
	if p.BuildTime == 0 {
		p.BuildTime = 1700000000
	}
	files := append([]File(nil), p.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for i, f := range files {
		if !strings.HasPrefix(f.Path, "/") || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("rpmgen: file path %q is not absolute and clean", f.Path)
		}
		if i > 0 && files[i-1].Path == f.Path {
			return nil, fmt.Errorf("rpmgen: file %s listed twice", f.Path)
		}
	}

	payload, rawSize, err := cpioPayload(files, p.BuildTime)
	if err != nil {
		return nil, err
	}
	main := mainHeader(p, files, payload)
	mainBlob := main.blob(rpm.TagHeaderImmutable)

	sig := &header{}
	sha1Sum := sha1.Sum(mainBlob)
	sha256Sum := sha256.Sum256(mainBlob)
	md5h := md5.New()
	md5h.Write(mainBlob)
	md5h.Write(payload)
	sig.str(rpm.SigSHA1, hex.EncodeToString(sha1Sum[:]))
	sig.str(rpm.SigSHA256, hex.EncodeToString(sha256Sum[:]))
	sig.u32(rpm.SigSize, uint32(len(mainBlob)+len(payload)))
	sig.bin(rpm.SigMD5, md5h.Sum(nil))
	sig.u32(rpm.SigPayloadSize, uint32(rawSize))
	if opts.Signer != nil {
		t := opts.SignTime
		if t.IsZero() {
			t = time.Unix(p.BuildTime, 0)
		}
		s, tag, err := signHeader(opts.Signer, mainBlob, t)
		if err != nil {
			return nil, err
		}
		sig.bin(tag, s)
	}
	sigBlob := sig.blob(rpm.TagHeaderSignatures)

	var out bytes.Buffer
	out.Write(lead(p))
	out.Write(sigBlob)
	out.Write(make([]byte, (8-len(sigBlob)%8)%8))
	out.Write(mainBlob)
	out.Write(payload)
	return out.Bytes(), nil
}

// lead returns the 96-byte lead.
func lead(p Package) []byte {
	b := make([]byte, rpm.LeadSize)
	copy(b, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0})
	if p.Source {
		binary.BigEndian.PutUint16(b[6:], 1)
	}
	binary.BigEndian.PutUint16(b[8:], 1) // architecture number, unused
	name := p.Name + "-" + p.Version + "-" + p.Release
	if len(name) > 65 {
		name = name[:65]
	}
	copy(b[10:76], name)
	binary.BigEndian.PutUint16(b[76:], 1) // Linux
	binary.BigEndian.PutUint16(b[78:], 5) // the signature is a header
	return b
}

// rpmlib requires, as rpmbuild adds them.
var (
	libCompressedFileNames = Dep{"rpmlib(CompressedFileNames)", rpm.SenseLess | rpm.SenseEqual | rpm.SenseRPMLib, "3.0.4-1"}
	libFileDigests         = Dep{"rpmlib(FileDigests)", rpm.SenseLess | rpm.SenseEqual | rpm.SenseRPMLib, "4.6.0-1"}
	libPayloadPrefix       = Dep{"rpmlib(PayloadFilesHavePrefix)", rpm.SenseLess | rpm.SenseEqual | rpm.SenseRPMLib, "4.0-1"}
	libTilde               = Dep{"rpmlib(TildeInVersions)", rpm.SenseLess | rpm.SenseEqual | rpm.SenseRPMLib, "4.10.0-1"}
	libCaret               = Dep{"rpmlib(CaretInVersions)", rpm.SenseLess | rpm.SenseEqual | rpm.SenseRPMLib, "4.15.0-1"}
)

func mainHeader(p Package, files []File, payload []byte) *header {
	h := &header{}
	h.strs(rpm.TagHeaderI18NTable, []string{"C"})
	h.str(rpm.TagName, p.Name)
	h.str(rpm.TagVersion, p.Version)
	h.str(rpm.TagRelease, p.Release)
	if p.Epoch != 0 {
		h.u32(rpm.TagEpoch, p.Epoch)
	}
	h.i18n(rpm.TagSummary, p.Summary)
	h.i18n(rpm.TagDescription, p.Description)
	h.u32(rpm.TagBuildTime, uint32(p.BuildTime))
	h.str(rpm.TagBuildHost, or(p.BuildHost, "localhost"))
	var size uint32
	for _, f := range files {
		if !f.Dir && f.Link == "" {
			size += uint32(len(f.Data))
		}
	}
	h.u32(rpm.TagSize, size)
	h.optStr(rpm.TagVendor, p.Vendor)
	h.str(rpm.TagLicense, or(p.License, "MIT"))
	h.optStr(rpm.TagPackager, p.Packager)
	h.i18n(rpm.TagGroup, or(p.Group, "Unspecified"))
	h.optStr(rpm.TagURL, p.URL)
	h.str(rpm.TagOS, "linux")
	h.str(rpm.TagArch, p.arch())
	if p.Source {
		h.u32(rpm.TagSourcePackage, 1)
	} else {
		h.str(rpm.TagSourceRPM, or(p.SourceRPM, p.Name+"-"+p.Version+"-"+p.Release+".src.rpm"))
	}
	h.str(rpm.TagRPMVersion, "4.18.0")
	h.str(rpm.TagPayloadFormat, "cpio")
	h.str(rpm.TagPayloadCompress, "gzip")
	h.str(rpm.TagPayloadFlags, "9")
	h.str(rpm.TagEncoding, "utf-8")
	sum := sha256.Sum256(payload)
	h.strs(rpm.TagPayloadDigest, []string{hex.EncodeToString(sum[:])})
	h.u32(rpm.TagPayloadDigestAlgo, 8)

	if len(files) > 0 {
		fileTags(h, files, p.BuildTime)
	}

	provides := p.Provides
	if !p.NoSelfProvide && !p.Source {
		provides = append(provides, Dep{p.Name, rpm.SenseEqual, p.evr()})
	}
	requires := append([]Dep(nil), p.Requires...)
	if len(files) > 0 {
		requires = append(requires, libCompressedFileNames, libFileDigests)
	}
	requires = append(requires, libPayloadPrefix)
	if strings.Contains(p.Version+p.Release, "~") {
		requires = append(requires, libTilde)
	}
	if strings.Contains(p.Version+p.Release, "^") {
		requires = append(requires, libCaret)
	}
	h.deps(provides, rpm.TagProvideName, rpm.TagProvideFlags, rpm.TagProvideVersion)
	h.deps(requires, rpm.TagRequireName, rpm.TagRequireFlags, rpm.TagRequireVersion)
	h.deps(p.Conflicts, rpm.TagConflictName, rpm.TagConflictFlags, rpm.TagConflictVersion)
	h.deps(p.Obsoletes, rpm.TagObsoleteName, rpm.TagObsoleteFlags, rpm.TagObsoleteVersion)
	h.deps(p.Recommends, rpm.TagRecommendName, rpm.TagRecommendFlags, rpm.TagRecommendVersion)
	h.deps(p.Suggests, rpm.TagSuggestName, rpm.TagSuggestFlags, rpm.TagSuggestVersion)
	h.deps(p.Supplements, rpm.TagSupplementName, rpm.TagSupplementFlags, rpm.TagSupplementVersion)
	h.deps(p.Enhances, rpm.TagEnhanceName, rpm.TagEnhanceFlags, rpm.TagEnhanceVersion)

	if len(p.Changelog) > 0 {
		var times []uint32
		var names, texts []string
		for _, c := range p.Changelog {
			times = append(times, uint32(c.Time))
			names = append(names, c.Author)
			texts = append(texts, c.Text)
		}
		h.u32(rpm.TagChangelogTime, times...)
		h.strs(rpm.TagChangelogName, names)
		h.strs(rpm.TagChangelogText, texts)
	}
	h.entries = append(h.entries, p.Extra...)
	return h
}

func fileTags(h *header, files []File, mtime int64) {
	var dirs []string
	dirIndex := map[string]uint32{}
	var (
		bases, digests, links, users, langs []string
		idx, sizes, mtimes, flags, verify   []uint32
		devices, inodes                     []uint32
		modes, rdevs                        []uint16
	)
	for i, f := range files {
		dir, base := path.Split(f.Path)
		j, ok := dirIndex[dir]
		if !ok {
			j = uint32(len(dirs))
			dirIndex[dir] = j
			dirs = append(dirs, dir)
		}
		bases = append(bases, base)
		idx = append(idx, j)
		mode, size, digest := fileMode(f), uint32(0), ""
		switch {
		case f.Dir:
		case f.Link != "":
			size = uint32(len(f.Link))
		default:
			size = uint32(len(f.Data))
			sum := sha256.Sum256(f.Data)
			digest = hex.EncodeToString(sum[:])
		}
		var fl uint32
		if f.Config {
			fl |= rpm.FileConfig
		}
		if f.Ghost {
			fl |= rpm.FileGhost
		}
		sizes = append(sizes, size)
		modes = append(modes, mode)
		rdevs = append(rdevs, 0)
		mtimes = append(mtimes, uint32(mtime))
		digests = append(digests, digest)
		links = append(links, f.Link)
		flags = append(flags, fl)
		users = append(users, "root")
		verify = append(verify, 0xffffffff)
		devices = append(devices, 1)
		inodes = append(inodes, uint32(i+1))
		langs = append(langs, "")
	}
	h.u32(rpm.TagFileSizes, sizes...)
	h.u16(rpm.TagFileModes, modes...)
	h.u16(rpm.TagFileRdevs, rdevs...)
	h.u32(rpm.TagFileMtimes, mtimes...)
	h.strs(rpm.TagFileDigests, digests)
	h.strs(rpm.TagFileLinkTos, links)
	h.u32(rpm.TagFileFlags, flags...)
	h.strs(rpm.TagFileUserName, users)
	h.strs(rpm.TagFileGroupName, users)
	h.u32(rpm.TagFileVerifyFlags, verify...)
	h.u32(rpm.TagFileDevices, devices...)
	h.u32(rpm.TagFileInodes, inodes...)
	h.strs(rpm.TagFileLangs, langs)
	h.u32(rpm.TagDirIndexes, idx...)
	h.strs(rpm.TagBaseNames, bases)
	h.strs(rpm.TagDirNames, dirs)
	h.u32(rpm.TagFileDigestAlgo, 8) // SHA-256
}

func fileMode(f File) uint16 {
	switch {
	case f.Dir:
		return 0o040000 | or16(f.Mode, 0o755)
	case f.Link != "":
		return 0o120000 | 0o777
	default:
		return 0o100000 | or16(f.Mode, 0o644)
	}
}

// cpioPayload returns the gzip-compressed cpio (newc) archive of the
// files that are not ghosts, and its uncompressed size.
func cpioPayload(files []File, mtime int64) ([]byte, int, error) {
	var raw bytes.Buffer
	entry := func(name string, ino uint32, mode uint16, nlink uint32, data []byte) {
		fmt.Fprintf(&raw, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, uint32(mode), 0, 0, nlink, uint32(mtime), len(data), 0, 0, 0, 0, len(name)+1, 0)
		raw.WriteString(name)
		raw.WriteByte(0)
		pad(&raw)
		raw.Write(data)
		pad(&raw)
	}
	for i, f := range files {
		if f.Ghost {
			continue
		}
		var data []byte
		nlink := uint32(1)
		switch {
		case f.Dir:
			nlink = 2
		case f.Link != "":
			data = []byte(f.Link)
		default:
			data = f.Data
		}
		entry("."+f.Path, uint32(i+1), fileMode(f), nlink, data)
	}
	entry("TRAILER!!!", 0, 0, 1, nil)
	size := raw.Len()
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, 0, err
	}
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return gz.Bytes(), size, nil
}

func pad(b *bytes.Buffer) {
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
}

// signHeader makes a binary OpenPGP signature over the main header and
// returns it with the signature tag rpm expects for the key's algorithm.
func signHeader(e *openpgp.Entity, blob []byte, t time.Time) ([]byte, rpm.Tag, error) {
	deterministic := false
	cfg := &packet.Config{
		DefaultHash:                           crypto.SHA256,
		Time:                                  func() time.Time { return t },
		NonDeterministicSignaturesViaNotation: &deterministic,
		InsecureGenerateNonCriticalSignatureCreationTime: true,
	}
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, e, bytes.NewReader(blob), cfg); err != nil {
		return nil, 0, fmt.Errorf("rpmgen: signing the header: %w", err)
	}
	tag := rpm.SigDSA
	if k, ok := e.SigningKey(t); ok && k.PublicKey.PubKeyAlgo == packet.PubKeyAlgoRSA {
		tag = rpm.SigRSA
	}
	return sig.Bytes(), tag, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func or16(v, def uint16) uint16 {
	if v == 0 {
		return def
	}
	return v
}
