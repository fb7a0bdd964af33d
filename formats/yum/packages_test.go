package yum

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/yum/rpm"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

// Dependency flag shorthands.
const (
	eq = rpm.SenseEqual
	ge = rpm.SenseGreater | rpm.SenseEqual
	le = rpm.SenseLess | rpm.SenseEqual
	lt = rpm.SenseLess
	gt = rpm.SenseGreater
)

func strArray(tag rpm.Tag, list ...string) rpmgen.Tag {
	var b []byte
	for _, s := range list {
		b = append(append(b, s...), 0)
	}
	return rpmgen.Tag{Tag: tag, Type: rpm.TypeStringArray, Count: uint32(len(list)), Data: b}
}

func int32Array(tag rpm.Tag, vs ...uint32) rpmgen.Tag {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return rpmgen.Tag{Tag: tag, Type: rpm.TypeInt32, Count: uint32(len(vs)), Data: b}
}

// changelog returns n entries, newest first, some sharing a time.
func changelog(n int) []rpmgen.Change {
	var out []rpmgen.Change
	for i := 0; i < n; i++ {
		t := int64(1700000000 - 86400*(i/3)) // three entries a day
		out = append(out, rpmgen.Change{Time: t, Author: fmt.Sprintf("Jane Doe <jane@example.org> - 1.0-%d  ", n-i), Text: fmt.Sprintf("- change %d & <more>", n-i)})
	}
	return out
}

// edgePackages are the packages of the golden repository and of the
// comparison with createrepo_c: every rule and version form that is easy
// to get wrong.
func edgePackages() []rpmgen.Package {
	hello := func(epoch uint32, version, release, arch string) rpmgen.Package {
		return rpmgen.Package{
			Name: "hello", Epoch: epoch, Version: version, Release: release, Arch: arch,
			Summary: "says hello", Description: "A friendly program.\n\nIt says hello.",
			License: "GPL-3.0-or-later", Group: "Applications/Text", URL: "https://example.org/hello?x=1&y=2",
			Vendor: "Example", Packager: "Jane Doe <jane@example.org>", BuildHost: "builder.example.org",
			BuildTime: 1700000000,
			Provides:  []rpmgen.Dep{{Name: "greeter", Flags: eq, Version: "2.0"}},
			Requires: []rpmgen.Dep{
				{Name: "bash", Flags: ge, Version: "4.0"},
				{Name: "/bin/sh", Flags: rpm.SenseScriptPre},
				{Name: "/bin/sh", Flags: rpm.SenseScriptPost},
				{Name: "coreutils", Flags: rpm.SensePreReq},
				{Name: "/etc/hello.conf"},                    // own primary file: dropped
				{Name: "/usr/share/hello/greeting"},          // own file, not primary: kept
				{Name: "greeter", Flags: eq, Version: "2.0"}, // provided by itself: dropped
				{Name: "libgreet", Flags: ge, Version: "1:1.2-3"},
				{Name: "libgreet", Flags: ge, Version: "1:1.2-3"}, // repeated: dropped
				{Name: "rpmlib(Foo)", Flags: le | rpm.SenseRPMLib, Version: "1.0"},
			},
			Conflicts: []rpmgen.Dep{{Name: "hello-old", Flags: lt, Version: "0.5"}},
			Obsoletes: []rpmgen.Dep{{Name: "hi", Flags: le, Version: "0.9-1"}},
			Files: []rpmgen.File{
				{Path: "/usr/bin/hello", Data: []byte("#!/bin/sh\necho hello\n"), Mode: 0o755},
				{Path: "/usr/bin/hi", Link: "hello"},
				{Path: "/etc/hello.conf", Data: []byte("loud=1\n"), Config: true},
				{Path: "/usr/share/hello", Dir: true},
				{Path: "/usr/share/hello/greeting", Data: []byte("hello " + arch + "\n")},
				{Path: "/var/log/hello.log", Ghost: true},
				{Path: "/opt/hello/sbin/helper", Data: []byte("x")},
				{Path: "/usr/lib/sendmail", Data: []byte("y")},
			},
			Changelog: changelog(12),
		}
	}
	libstd := rpmgen.Package{
		Name: "libstdc++", Version: "13.2.1+really13.2", Release: "1.fc39", Arch: "x86_64",
		Summary: "GNU Standard C++ Library", License: "GPL-3.0-or-later WITH GCC-exception-3.1",
		Provides: []rpmgen.Dep{{Name: "libstdc++.so.6()(64bit)"}, {Name: "libstdc++.so.6(GLIBCXX_3.4)(64bit)"}},
		Requires: []rpmgen.Dep{
			{Name: "libc.so.6()(64bit)"},
			{Name: "libc.so.6(GLIBC_2.2.5)(64bit)"},
			{Name: "libc.so.6(GLIBC_2.34)(64bit)"},
			{Name: "libc.so.6(GLIBC_2.4)(64bit)"},
			{Name: "libm.so.6()(64bit)"},
		},
		Files: []rpmgen.File{{Path: "/usr/lib64/libstdc++.so.6", Data: []byte("\x7fELF")}},
	}
	weak := rpmgen.Package{
		Name: "weak-deps", Version: "1", Release: "1", Arch: "noarch",
		Summary: "weak dependencies & odd versions",
		Requires: []rpmgen.Dep{
			{Name: "hint", Flags: rpm.SenseMissingOK},
			{Name: "bad-epoch", Flags: ge, Version: "x:1.0"},
			{Name: "empty-epoch", Flags: ge, Version: ":1.0-2"},
			{Name: "plain-release", Flags: eq, Version: "1.0-"},
		},
		Recommends:  []rpmgen.Dep{{Name: "rec", Flags: ge, Version: "2~beta"}},
		Suggests:    []rpmgen.Dep{{Name: "sug"}},
		Supplements: []rpmgen.Dep{{Name: "(hello and weak)"}},
		Enhances:    []rpmgen.Dep{{Name: "hello", Flags: gt, Version: "1^post"}},
		Extra: []rpmgen.Tag{
			strArray(rpm.TagOldSuggestsName, "old-strong", "old-weak"),
			int32Array(rpm.TagOldSuggestsFlags, rpm.SenseStrong, 0),
			strArray(rpm.TagOldSuggestsVersion, "", ""),
			strArray(rpm.TagOldEnhancesName, "old-supp"),
			int32Array(rpm.TagOldEnhancesFlags, rpm.SenseStrong),
			strArray(rpm.TagOldEnhancesVersion, ""),
		},
	}
	text := rpmgen.Package{
		Name: "odd-text", Version: "1", Release: "1", Arch: "noarch",
		Summary:     "caf\xe9 in Latin-1",
		Description: "Quotes \" and ' and <tags> & CR\r\nend\ttab",
		Packager:    "", Vendor: "", URL: "",
		Files: []rpmgen.File{{Path: "/usr/share/odd/caf\xc3\xa9 & <x>", Data: []byte("x")}},
		Changelog: []rpmgen.Change{
			{Time: 1700000000, Author: " ", Text: "same time"},
			{Time: 1700000000, Author: "B <b@example.org>", Text: "same time"},
			{Time: 1700000000, Author: "C", Text: "same time"},
		},
	}
	return []rpmgen.Package{
		hello(0, "1.0", "1", "x86_64"),
		hello(0, "1.0", "1", "aarch64"),
		hello(1, "0.9", "1", "x86_64"),
		hello(0, "1.0~rc1", "1", "x86_64"),
		hello(0, "1.0^git20240101", "1", "x86_64"),
		hello(0, "1.0", "1", "noarch"),
		hello(0, "1.0", "1", "src"),
		libstd,
		weak,
		text,
		{Name: "no-self-provide", Version: "2", Release: "3", Epoch: 4, Arch: "noarch", NoSelfProvide: true, Summary: "provides nothing"},
		{Name: "Zebra", Version: "1", Release: "1", Arch: "noarch", Summary: "upper case sorts first"},
	}
}

// buildEdge builds the edge packages; hello for "src" becomes a source
// package.
func buildEdge(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range edgePackages() {
		if p.Arch == "src" {
			p.Source, p.Arch = true, "x86_64"
		}
		b, err := rpmgen.Build(p, rpmgen.Options{})
		if err != nil {
			t.Fatalf("rpmgen.Build(%s): %v", p.Name, err)
		}
		out[p.FileName()] = b
	}
	return out
}

// artifactOf inspects an rpm and wraps it as the artifact of manifest
// packages/yum/<n>.yaml, added at the given time.
func artifactOf(t testing.TB, n int, data []byte, file, local string, added time.Time) *formats.Artifact {
	t.Helper()
	meta, err := New().Inspect(bytes.NewReader(data), int64(len(data)), file)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", file, err)
	}
	d, err := digest.Of(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return &formats.Artifact{
		Manifest: &config.Manifest{
			Path: fmt.Sprintf("packages/yum/%02d.yaml", n), Line: 1, Repo: "yum",
			File: file, SHA256: d.SHA256, Size: d.Size, Source: "blobs/yum/" + file,
			Lines: map[string]int{"file": 2, "sha256": 3, "size": 4, "source": 5},
		},
		Digests: d,
		Meta:    meta,
		Local:   local,
		Added:   added,
	}
}

func sortedNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
