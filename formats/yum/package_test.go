package yum

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/formats/yum/rpm"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

func readGenerated(t *testing.T, p rpmgen.Package, opts rpmgen.Options) (*Package, error) {
	t.Helper()
	b, err := rpmgen.Build(p, opts)
	if err != nil {
		t.Fatalf("rpmgen.Build: %v", err)
	}
	return ReadPackage(bytes.NewReader(b), int64(len(b)))
}

func mustRead(t *testing.T, p rpmgen.Package) *Package {
	t.Helper()
	pkg, err := readGenerated(t, p, rpmgen.Options{})
	if err != nil {
		t.Fatalf("ReadPackage(%s): %v", p.Name, err)
	}
	return pkg
}

func edge(name string) rpmgen.Package {
	for _, p := range edgePackages() {
		if p.Name == name {
			return p
		}
	}
	panic("no edge package " + name)
}

func TestReadPackageFields(t *testing.T) {
	p := mustRead(t, edge("hello"))
	want := &Package{
		Name: "hello", Version: "1.0", Release: "1", Arch: "x86_64",
		Summary: "says hello", Description: "A friendly program.\n\nIt says hello.",
		Packager: "Jane Doe <jane@example.org>", URL: "https://example.org/hello?x=1&y=2",
		License: "GPL-3.0-or-later", Vendor: "Example", Group: "Applications/Text",
		BuildHost: "builder.example.org", SourceRPM: "hello-1.0-1.src.rpm", BuildTime: 1700000000,
		InstalledSize: uint64(len("#!/bin/sh\necho hello\n") + len("loud=1\n") + len("hello x86_64\n") + 2),
		Provides: []Dep{
			{Name: "greeter", Flags: "EQ", Epoch: "0", Version: "2.0"},
			{Name: "hello", Flags: "EQ", Epoch: "0", Version: "1.0", Release: "1"},
		},
		Requires: []Dep{
			{Name: "/bin/sh", Pre: true}, // the %post duplicate is dropped
			{Name: "/usr/share/hello/greeting"},
			{Name: "bash", Flags: "GE", Epoch: "0", Version: "4.0"},
			{Name: "coreutils", Pre: true},
			{Name: "libgreet", Flags: "GE", Epoch: "1", Version: "1.2", Release: "3"},
		},
		Conflicts: []Dep{{Name: "hello-old", Flags: "LT", Epoch: "0", Version: "0.5"}},
		Obsoletes: []Dep{{Name: "hi", Flags: "LE", Epoch: "0", Version: "0.9", Release: "1"}},
		Files: []File{
			{Path: "/etc/hello.conf"},
			{Path: "/opt/hello/sbin/helper"},
			{Path: "/usr/bin/hello"},
			{Path: "/usr/bin/hi"},
			{Path: "/usr/lib/sendmail"},
			{Path: "/usr/share/hello", Type: "dir"},
			{Path: "/usr/share/hello/greeting"},
			{Path: "/var/log/hello.log", Type: "ghost"},
		},
	}
	got := *p
	got.Changelog, got.PackageSize, got.ArchiveSize, got.HeaderStart, got.HeaderEnd = nil, 0, 0, 0, 0
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("ReadPackage (-want +got):\n%s", diff)
	}
	if p.ArchiveSize == 0 || p.HeaderStart < rpm.LeadSize || p.HeaderEnd <= p.HeaderStart || p.PackageSize <= p.HeaderEnd {
		t.Errorf("sizes and range: archive %d, header %d-%d, package %d", p.ArchiveSize, p.HeaderStart, p.HeaderEnd, p.PackageSize)
	}
}

// The newest ten entries are kept, oldest first; of entries with equal
// times the newer ones move a second later each, as createrepo_c does.
func TestReadPackageChangelog(t *testing.T) {
	p := mustRead(t, edge("hello"))
	const day, t0 = 86400, 1700000000
	wantDates := []uint64{t0 - 3*day, t0 - 2*day, t0 - 2*day + 1, t0 - 2*day + 2, t0 - day, t0 - day + 1, t0 - day + 2, t0, t0 + 1, t0 + 2}
	var dates []uint64
	for _, c := range p.Changelog {
		dates = append(dates, c.Date)
	}
	if diff := cmp.Diff(wantDates, dates); diff != "" {
		t.Errorf("changelog dates (-want +got):\n%s", diff)
	}
	if first, last := p.Changelog[0], p.Changelog[9]; first.Author != "Jane Doe <jane@example.org> - 1.0-3" || last.Text != "- change 12 & <more>" {
		t.Errorf("changelog starts with %+v and ends with %+v", first, last)
	}
	odd := mustRead(t, edge("odd-text"))
	want := []Change{
		{Author: "C", Date: 1700000000, Text: "same time"},
		{Author: "B <b@example.org>", Date: 1700000001, Text: "same time"},
		{Author: " ", Date: 1700000002, Text: "same time"},
	}
	if diff := cmp.Diff(want, odd.Changelog); diff != "" {
		t.Errorf("changelog with equal times (-want +got):\n%s", diff)
	}
}

func TestReadPackageDependencyRules(t *testing.T) {
	tests := []struct {
		name string
		pkg  string
		get  func(*Package) []Dep
		want []Dep
	}{
		{"only the highest libc.so.6, last", "libstdc++", func(p *Package) []Dep { return p.Requires }, []Dep{
			{Name: "libm.so.6()(64bit)"},
			{Name: "libc.so.6(GLIBC_2.34)(64bit)"},
		}},
		{"requires: bad epochs skipped, empty epoch is 0", "weak-deps", func(p *Package) []Dep { return p.Requires }, []Dep{
			{Name: "empty-epoch", Flags: "GE", Epoch: "0", Version: "1.0", Release: "2"},
			{Name: "plain-release", Flags: "EQ", Epoch: "0", Version: "1.0"},
		}},
		{"recommends: missing-ok requires, new and old tags", "weak-deps", func(p *Package) []Dep { return p.Recommends }, []Dep{
			{Name: "hint"},
			{Name: "rec", Flags: "GE", Epoch: "0", Version: "2~beta"},
			{Name: "old-strong"},
		}},
		{"suggests", "weak-deps", func(p *Package) []Dep { return p.Suggests }, []Dep{{Name: "sug"}, {Name: "old-weak"}}},
		{"supplements", "weak-deps", func(p *Package) []Dep { return p.Supplements }, []Dep{{Name: "(hello and weak)"}, {Name: "old-supp"}}},
		{"enhances", "weak-deps", func(p *Package) []Dep { return p.Enhances }, []Dep{{Name: "hello", Flags: "GT", Epoch: "0", Version: "1^post"}}},
		{"no provides added", "no-self-provide", func(p *Package) []Dep { return p.Provides }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.get(mustRead(t, edge(tt.pkg)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitEVR(t *testing.T) {
	tests := []struct {
		in                  string
		epoch, version, rel string
		ok                  bool
	}{
		{"", "", "", "", true},
		{"1.0", "0", "1.0", "", true},
		{"1.0-2", "0", "1.0", "2", true},
		{"3:1.0-2", "3", "1.0", "2", true},
		{"3:1.0-2-4", "3", "1.0", "2-4", true},
		{":1.0", "0", "1.0", "", true},
		{" 7:1", " 7", "1", "", true},
		{"-1:1", "-1", "1", "", true},
		{"x:1.0", "", "", "", false},
		{"1x:1.0", "", "", "", false},
		{"+:1.0", "", "", "", false},
		{"1.0-", "0", "1.0", "", true},
	}
	for _, tt := range tests {
		e, v, r, ok := splitEVR(tt.in)
		if e != tt.epoch || v != tt.version || r != tt.rel || ok != tt.ok {
			t.Errorf("splitEVR(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", tt.in, e, v, r, ok, tt.epoch, tt.version, tt.rel, tt.ok)
		}
	}
}

func TestCompareLibc(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"libc.so.6()(64bit)", "libc.so.6(GLIBC_2.4)(64bit)", 2},
		{"libc.so.6(GLIBC_2.34)(64bit)", "libc.so.6(GLIBC_2.4)(64bit)", 1},
		{"libc.so.6(GLIBC_2.4)", "libc.so.6(GLIBC_2.4)(64bit)", 0},
		{"libc.so.6", "libc.so.6(GLIBC_2.4)", 2},
		{"libc.so.6(GLIBC_2.4)", "libc.so.6", 1},
		{"libc.so.6(x", "libc.so.6(y", -1},
		{"libc.so.6(GLIBC)(64bit)", "libc.so.6(GLIBC_2.1)", 2},
		{"libc.so.6", "libc.so.6", 0},
	}
	for _, tt := range tests {
		if got := compareLibc(tt.a, tt.b); got != tt.want {
			t.Errorf("compareLibc(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestXMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnew\nline\rcr", "tab\tnew\nline\rcr"},
		{"caf\xe9", "café"},                       // ISO-8859-1
		{"\x93quoted\x94 caf\xe9", "quoted café"}, // C1 controls dropped
		{"bell\x07 and \x01", "bell and "},
		{"non\ufffe\uffffchar", "nonchar"},
		{"ok \ufffd replacement", "ok \ufffd replacement"},
		{"日本語", "日本語"},
	}
	for _, tt := range tests {
		if got := xmlText(tt.in); got != tt.want {
			t.Errorf("xmlText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadPackageText(t *testing.T) {
	p := mustRead(t, edge("odd-text"))
	if p.Summary != "café in Latin-1" || p.Description != "Quotes \" and ' and <tags> & CR\r\nend\ttab" {
		t.Errorf("summary %q, description %q", p.Summary, p.Description)
	}
	if p.Files[0].Path != "/usr/share/odd/café & <x>" {
		t.Errorf("file %q", p.Files[0].Path)
	}
}

func TestReadPackageSource(t *testing.T) {
	src := edge("hello")
	src.Source = true
	p := mustRead(t, src)
	if p.Arch != "src" || p.SourceRPM != "" {
		t.Errorf("source package: arch %q, sourcerpm %q", p.Arch, p.SourceRPM)
	}
}

func TestReadPackageLegacyFileNames(t *testing.T) {
	p := mustRead(t, rpmgen.Package{Name: "old", Version: "1", Release: "1", Extra: []rpmgen.Tag{
		strArray(rpm.TagOldFileNames, "/usr/bin/old", "/usr/share/old", "/usr/share/old/a"),
		{Tag: rpm.TagFileModes, Type: rpm.TypeInt16, Count: 3, Data: []byte{0x81, 0xed, 0x41, 0xed, 0x81, 0xa4}},
		int32Array(rpm.TagFileFlags, 0, 0, rpm.FileGhost),
	}})
	want := []File{{Path: "/usr/bin/old"}, {Path: "/usr/share/old", Type: "dir"}, {Path: "/usr/share/old/a", Type: "ghost"}}
	if diff := cmp.Diff(want, p.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestReadPackageSignature(t *testing.T) {
	key, err := openpgp.NewEntity("Packager", "", "packager@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
		Time: func() time.Time { return time.Unix(1600000000, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := readGenerated(t, edge("Zebra"), rpmgen.Options{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	fp := key.PrimaryKey.Fingerprint
	want := []Signature{{Covers: "header", Algorithm: "EdDSA", KeyID: strings.ToLower(key.PrimaryKey.KeyIdString()), Fingerprint: hexString(fp)}}
	if diff := cmp.Diff(want, p.Signatures); diff != "" || !p.Signed() {
		t.Errorf("signatures (-want +got):\n%s", diff)
	}
	if unsigned := mustRead(t, edge("Zebra")); unsigned.Signed() {
		t.Error("an unsigned package reads as signed")
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func TestReadPackageRejects(t *testing.T) {
	base := rpmgen.Package{Name: "bad", Version: "1", Release: "1"}
	with := func(mod func(*rpmgen.Package)) rpmgen.Package {
		p := base
		mod(&p)
		return p
	}
	fileTags := func(bases []string, idx []uint32, dirs []string, modes int, flags int) []rpmgen.Tag {
		m := make([]byte, 2*modes)
		f := make([]uint32, flags)
		return []rpmgen.Tag{
			strArray(rpm.TagBaseNames, bases...), int32Array(rpm.TagDirIndexes, idx...), strArray(rpm.TagDirNames, dirs...),
			{Tag: rpm.TagFileModes, Type: rpm.TypeInt16, Count: uint32(modes), Data: m}, int32Array(rpm.TagFileFlags, f...),
		}
	}
	tests := []struct {
		name string
		pkg  rpmgen.Package
		want string
	}{
		{"version with a dash", with(func(p *rpmgen.Package) { p.Version = "1-2" }), "invalid version"},
		{"release with a space", with(func(p *rpmgen.Package) { p.Release = "1 2" }), "invalid release"},
		{"name with a slash", with(func(p *rpmgen.Package) { p.Name = "a/b" }), "invalid name"},
		{"arch with a control character", with(func(p *rpmgen.Package) { p.Arch = "x86\x01" }), "invalid arch"},
		{"name of the wrong type", with(func(p *rpmgen.Package) {
			p.Name = "x"
			p.Extra = []rpmgen.Tag{int32Array(rpm.TagVendor, 1)}
		}), "not a string"},
		{"file list counts", with(func(p *rpmgen.Package) { p.Extra = fileTags([]string{"a", "b"}, []uint32{0}, []string{"/"}, 2, 2) }), "file list is inconsistent"},
		{"file modes count", with(func(p *rpmgen.Package) { p.Extra = fileTags([]string{"a", "b"}, []uint32{0, 0}, []string{"/"}, 1, 2) }), "file list is inconsistent"},
		{"directory index", with(func(p *rpmgen.Package) { p.Extra = fileTags([]string{"a"}, []uint32{7}, []string{"/"}, 1, 1) }), "directory index 7 out of range"},
		{"dependency counts", with(func(p *rpmgen.Package) {
			p.Extra = []rpmgen.Tag{strArray(rpm.TagConflictName, "a", "b"), int32Array(rpm.TagConflictFlags, 0), strArray(rpm.TagConflictVersion, "", "")}
		}), "inconsistent: 2 names, 1 flags"},
		{"changelog counts", with(func(p *rpmgen.Package) {
			p.Extra = []rpmgen.Tag{int32Array(rpm.TagChangelogTime, 1, 2), strArray(rpm.TagChangelogName, "a"), strArray(rpm.TagChangelogText, "x", "y")}
		}), "changelog is inconsistent"},
		{"huge file list", with(func(p *rpmgen.Package) {
			n := 40000
			bases := make([]string, n)
			idx := make([]uint32, n)
			p.Extra = fileTags(bases, idx, []string{"/" + strings.Repeat("d", 2000) + "/"}, n, n)
		}), "file list too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readGenerated(t, tt.pkg, rpmgen.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadPackage = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzInspect checks that no input makes Inspect panic, and that whatever
// it accepts renders into XML that parses back to the same fields.
func FuzzInspect(f *testing.F) {
	rpms := buildEdge(f)
	for _, name := range sortedNames(rpms) {
		f.Add(rpms[name])
	}
	seeds, _ := filepath.Glob("rpm/testdata/*.rpm")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, err := New().Inspect(bytes.NewReader(data), int64(len(data)), "fuzz.rpm")
		if err != nil {
			return
		}
		p, err := DecodeMeta(meta)
		if err != nil {
			t.Fatalf("DecodeMeta of Inspect's result: %v", err)
		}
		if err := checkNEVRA(p); err != nil && p.Arch != "src" {
			t.Fatalf("Inspect accepted %s: %v", p.NEVRA(), err)
		}
		ref := pkgRef{pkgid: strings.Repeat("0", 64), href: "Packages/x/fuzz.rpm", time: 1, size: int64(len(data))}
		var pri xPrimaryPackage
		if err := xml.Unmarshal(appendPrimary(nil, p, ref), &pri); err != nil {
			t.Fatalf("primary XML does not parse: %v", err)
		}
		var fil xFilelistsPackage
		if err := xml.Unmarshal(appendFilelists(nil, p, ref), &fil); err != nil {
			t.Fatalf("filelists XML does not parse: %v", err)
		}
		var oth xOtherPackage
		if err := xml.Unmarshal(appendOther(nil, p, ref), &oth); err != nil {
			t.Fatalf("other XML does not parse: %v", err)
		}
		if pri.Name != p.Name || pri.Summary != p.Summary || pri.Description != p.Description || len(fil.Files) != len(p.Files) || len(oth.Changelog) != len(p.Changelog) {
			t.Fatalf("XML does not round-trip: %+v", pri)
		}
		for i, c := range p.Changelog {
			if oth.Changelog[i].Author != c.Author || oth.Changelog[i].Text != c.Text {
				t.Fatalf("changelog entry %d does not round-trip: %q != %q", i, oth.Changelog[i].Author, c.Author)
			}
		}
		for i, f := range p.Files {
			if fil.Files[i].Path != f.Path {
				t.Fatalf("file %d does not round-trip: %q != %q", i, fil.Files[i].Path, f.Path)
			}
		}
	})
}
