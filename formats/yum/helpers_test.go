package yum

import (
	"io/fs"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

func testBuild() *formats.Build {
	return &formats.Build{
		Now:      time.Unix(1700000000, 0).UTC(),
		BaseURL:  "https://packages.example.org/",
		Compress: dist.NewCompressor(""),
		Previous: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	}
}

// requireTool skips the test when an external program is missing, except in
// CI, where a missing program fails it.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI but not installed: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
}
