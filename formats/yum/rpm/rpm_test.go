package rpm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/formats/yum/rpm"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

// rawEntry is an index entry written as is, however wrong.
type rawEntry struct {
	tag, typ, offset, count uint32
}

// rawHeader lays out a header from raw entries and data.
func rawHeader(entries []rawEntry, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0})
	binary.Write(&b, binary.BigEndian, uint32(len(entries)))
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	for _, e := range entries {
		binary.Write(&b, binary.BigEndian, e)
	}
	b.Write(data)
	return b.Bytes()
}

// lead returns a valid lead.
func lead() []byte {
	b := make([]byte, rpm.LeadSize)
	copy(b, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0})
	binary.BigEndian.PutUint16(b[78:], 5)
	return b
}

// packageOf joins a lead, a minimal signature header and main.
func packageOf(main []byte) []byte {
	sig := rawHeader([]rawEntry{{1000, 4, 0, 1}}, []byte{0, 0, 0, 1})
	b := append(lead(), sig...)
	b = append(b, make([]byte, (8-len(b)%8)%8)...)
	return append(b, main...)
}

// goodMain is a small valid main header: a name, an int32 and an array.
func goodMain() []byte {
	data := []byte("hello\x00\x00\x00" + "\x00\x00\x00\x2a" + "a\x00bb\x00")
	return rawHeader([]rawEntry{
		{1000, 6, 0, 1},  // NAME "hello"
		{1009, 4, 8, 1},  // SIZE 42
		{1117, 8, 12, 2}, // BASENAMES
	}, data)
}

func TestReadGood(t *testing.T) {
	b := packageOf(goodMain())
	f, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	name, err := f.Header.String(rpm.TagName)
	if err != nil || name != "hello" {
		t.Errorf("String(NAME) = %q, %v", name, err)
	}
	size, ok, err := f.Header.Uint(rpm.TagSize)
	if err != nil || !ok || size != 42 {
		t.Errorf("Uint(SIZE) = %d, %v, %v", size, ok, err)
	}
	bases, err := f.Header.Strings(rpm.TagBaseNames)
	if diff := cmp.Diff([]string{"a", "bb"}, bases); diff != "" || err != nil {
		t.Errorf("Strings(BASENAMES) %v (-want +got):\n%s", err, diff)
	}
	if _, err := f.Header.String(rpm.TagSize); err == nil {
		t.Error("String of an int32 tag: no error")
	}
	if _, err := f.Header.Uints(rpm.TagName); err == nil {
		t.Error("Uints of a string tag: no error")
	}
	if _, err := f.Header.Bytes(rpm.TagName); err == nil {
		t.Error("Bytes of a string tag: no error")
	}
	if v, err := f.Header.String(rpm.TagVersion); v != "" || err != nil {
		t.Errorf("String of a missing tag = %q, %v", v, err)
	}
	if f.HeaderEnd != int64(len(b)) || f.HeaderEnd-f.HeaderStart != int64(len(goodMain())) {
		t.Errorf("header range %d-%d in %d bytes", f.HeaderStart, f.HeaderEnd, len(b))
	}
}

func TestReadRejects(t *testing.T) {
	withLead := func(mod func([]byte)) []byte {
		b := packageOf(goodMain())
		mod(b)
		return b
	}
	main := func(entries []rawEntry, data []byte) []byte { return packageOf(rawHeader(entries, data)) }
	huge := packageOf(goodMain())
	binary.BigEndian.PutUint32(huge[len(huge)-len(goodMain())+8:], 60000) // entries past the end
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an rpm"},
		{"short", []byte{0xed, 0xab, 0xee}, "not an rpm"},
		{"a deb", []byte("!<arch>\ndebian-binary   " + strings.Repeat(" ", 100)), "not an rpm"},
		{"format 5", withLead(func(b []byte) { b[4] = 5 }), "format version 5"},
		{"signature type", withLead(func(b []byte) { b[79] = 1 }), "signature type 1"},
		{"signature magic", withLead(func(b []byte) { b[96] = 0 }), "signature header: bad header magic"},
		{"truncated", packageOf(goodMain())[:len(packageOf(goodMain()))-3], "runs past the end"},
		{"no main header", packageOf(nil), "main header: truncated"},
		{"zero entries", main(nil, nil), "0 index entries"},
		{"too many entries", main(make([]rawEntry, 0x10000), nil), "65536 index entries"},
		{"huge store", packageOf(append(rawHeader([]rawEntry{{1000, 6, 0, 1}}, nil)[:12], 0x01, 0, 0, 1)), "data store of 16777217 bytes"},
		{"entries past the end", huge, "runs past the end"},
		{"offset beyond store", main([]rawEntry{{1000, 6, 100, 1}}, []byte("x\x00")), "offset 100 beyond"},
		{"int32 past the end", main([]rawEntry{{1009, 4, 0, 3}}, make([]byte, 8)), "do not fit"},
		{"int32 count overflow", main([]rawEntry{{1009, 4, 0, 0x40000001}}, make([]byte, 8)), "limit"},
		{"huge int8 array", main([]rawEntry{{1009, 2, 0, 1<<20 + 1}}, make([]byte, 8)), "limit"},
		{"huge null count", main([]rawEntry{{1009, 0, 0, 0xffffffff}}, make([]byte, 8)), ""},
		{"unaligned int32", main([]rawEntry{{1009, 4, 2, 1}}, make([]byte, 8)), "not aligned"},
		{"unaligned int16", main([]rawEntry{{1030, 3, 1, 1}}, make([]byte, 8)), "not aligned"},
		{"unaligned int64", main([]rawEntry{{5009, 5, 4, 1}}, make([]byte, 16)), "not aligned"},
		{"unterminated string", main([]rawEntry{{1000, 6, 0, 1}}, []byte("hello")), "not terminated"},
		{"string count 2", main([]rawEntry{{1000, 6, 0, 2}}, []byte("a\x00b\x00")), "count 2"},
		{"array count beyond bytes", main([]rawEntry{{1117, 8, 0, 5}}, []byte("a\x00b\x00")), "cannot fit"},
		{"array missing terminator", main([]rawEntry{{1117, 8, 0, 2}}, []byte("a\x00bb")), "string 2 of 2"},
		{"huge array count", main([]rawEntry{{1117, 8, 0, 0xffffffff}}, []byte("a\x00")), "cannot fit"},
		{"unknown type", main([]rawEntry{{1000, 42, 0, 1}}, []byte("a\x00")), "unknown type 42"},
		{"duplicate tag", main([]rawEntry{{1000, 6, 0, 1}, {1000, 6, 0, 1}}, []byte("a\x00")), "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := rpm.Read(bytes.NewReader(tt.data), int64(len(tt.data)))
			if tt.want == "" {
				// Accepted, but nothing may trust the count.
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Header.Uints(rpm.TagSize); err == nil {
					t.Fatal("Uints of a NULL entry: no error")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// A header claiming a large store in a small file is refused before the
// store is allocated.
func TestReadDoesNotTrustSizes(t *testing.T) {
	b := packageOf(rawHeader([]rawEntry{{1000, 6, 0, 1}}, []byte("a\x00")))
	binary.BigEndian.PutUint32(b[len(b)-2-16-4:], 15<<20) // data length, just under the limit
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		if _, err := rpm.Read(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Fatal("Read accepted a header larger than the file")
		}
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("Read allocated %d bytes over 10 runs for a %d-byte file", grown, len(b))
	}
}

func TestReadGenerated(t *testing.T) {
	p := rpmgen.Package{
		Name: "hello", Version: "1.0", Release: "1", Epoch: 3, Arch: "x86_64",
		Files: []rpmgen.File{{Path: "/usr/bin/hello", Data: []byte("x")}, {Path: "/usr/share/doc/hello", Dir: true}},
	}
	b, err := rpmgen.Build(p, rpmgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	epoch, _, _ := f.Header.Uint(rpm.TagEpoch)
	modes, _ := f.Header.Uints(rpm.TagFileModes)
	digest, _ := f.Signature.String(rpm.SigSHA256)
	if epoch != 3 || len(modes) != 2 || modes[0] != 0o100644 || modes[1] != 0o040755 || len(digest) != 64 {
		t.Errorf("epoch %d, modes %o, header digest %q", epoch, modes, digest)
	}
	if typ, ok := f.Header.Type(rpm.TagSummary); !ok || typ != rpm.TypeI18NString {
		t.Errorf("Type(SUMMARY) = %d, %v", typ, ok)
	}
	if tags := f.Header.Tags(); tags[0] != rpm.TagHeaderImmutable {
		t.Errorf("first tag %d, want the region tag", tags[0])
	}
	if n := f.Header.Count(rpm.TagBaseNames); n != 2 {
		t.Errorf("Count(BASENAMES) = %d", n)
	}
	if h, err := rpm.ParseHeader(f.Header.Blob); err != nil || !h.Has(rpm.TagName) {
		t.Errorf("ParseHeader(Blob) = %v", err)
	}
}

// FuzzRead checks that no input makes Read panic, and that what it accepts
// can be read through every accessor.
func FuzzRead(f *testing.F) {
	f.Add(packageOf(goodMain()))
	for _, p := range []rpmgen.Package{
		{Name: "a", Version: "1", Release: "1", Files: []rpmgen.File{{Path: "/a", Data: []byte("a")}}},
		{Name: "b", Version: "2", Release: "1", Requires: []rpmgen.Dep{{Name: "a", Flags: rpm.SenseEqual, Version: "1"}}, Changelog: []rpmgen.Change{{Time: 1, Author: "x", Text: "y"}}},
	} {
		b, err := rpmgen.Build(p, rpmgen.Options{})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seeds, _ := filepath.Glob("testdata/*.rpm")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected EOF leaked: %v", err)
			}
			return
		}
		if file.HeaderStart < rpm.LeadSize || file.HeaderEnd > int64(len(b)) || file.HeaderStart >= file.HeaderEnd {
			t.Fatalf("header range %d-%d in %d bytes", file.HeaderStart, file.HeaderEnd, len(b))
		}
		for _, h := range []*rpm.Header{file.Signature, file.Header} {
			for _, tag := range h.Tags() {
				h.String(tag)
				h.Strings(tag)
				h.Uints(tag)
				h.Uint(tag)
				h.Bytes(tag)
			}
		}
		file.Signatures()
	})
}

// A package rpmbuild made and rpmsign signed with a GnuPG Ed25519 key.
func TestReadRPMBuild(t *testing.T) {
	b, err := os.ReadFile("testdata/rpmbuild-signed.rpm")
	if err != nil {
		t.Fatal(err)
	}
	f, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	name, _ := f.Header.String(rpm.TagName)
	version, _ := f.Header.String(rpm.TagVersion)
	release, _ := f.Header.String(rpm.TagRelease)
	if name != "libfoo++" || version != "1.0~rc1" || release != "1^git1" {
		t.Errorf("read %s-%s-%s", name, version, release)
	}
	// As createrepo_c lists it.
	if f.HeaderStart != 4504 || f.HeaderEnd != 7357 {
		t.Errorf("header range %d-%d, want 4504-7357", f.HeaderStart, f.HeaderEnd)
	}
	sigs, err := f.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	want := []rpm.Signature{{Tag: rpm.SigDSA, Algorithm: "EdDSA", KeyID: "5bfe81b4fc0efedf", Fingerprint: "c06da2ad8fde492368e448965bfe81b4fc0efedf"}}
	if diff := cmp.Diff(want, sigs); diff != "" {
		t.Errorf("Signatures() (-want +got):\n%s", diff)
	}
}
