package pygen

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var project = Project{
	Name: "Demo.Project", Version: "1.0-1", Summary: "s", RequiresPython: ">=3.7",
	RequiresDist: []string{"other>=1"}, Description: "body",
}

func TestNames(t *testing.T) {
	got := []string{project.DistName(), project.WheelName(), project.SdistName(), project.SdistZipName()}
	want := []string{"demo_project", "demo_project-1.0_1-py3-none-any.whl", "demo_project-1.0_1.tar.gz", "demo_project-1.0_1.zip"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestMetadata(t *testing.T) {
	want := "Metadata-Version: 2.1\nName: Demo.Project\nVersion: 1.0-1\nSummary: s\nRequires-Python: >=3.7\nRequires-Dist: other>=1\n\nbody\n"
	if got := string(project.Metadata()); got != want {
		t.Errorf("Metadata() = %q, want %q", got, want)
	}
}

// A wheel is deterministic and its RECORD lists every other entry with
// its hash and size.
func TestWheel(t *testing.T) {
	a, err := project.Wheel()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := project.Wheel()
	if !bytes.Equal(a, b) {
		t.Error("two wheels of the same project differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		entries[f.Name] = data
		names = append(names, f.Name)
	}
	di := "demo_project-1.0_1.dist-info/"
	if diff := cmp.Diff([]string{"demo_project/__init__.py", di + "METADATA", di + "WHEEL", di + "RECORD"}, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	var record strings.Builder
	for _, n := range names[:3] {
		sum := sha256.Sum256(entries[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(entries[n]))
	}
	record.WriteString(di + "RECORD,,\n")
	if got := string(entries[di+"RECORD"]); got != record.String() {
		t.Errorf("RECORD = %q, want %q", got, record.String())
	}
}

func TestSdist(t *testing.T) {
	a, err := project.Sdist()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := project.Sdist()
	if !bytes.Equal(a, b) {
		t.Error("two sdists of the same project differ")
	}
	if _, err := project.SdistZip(); err != nil {
		t.Fatal(err)
	}
}
