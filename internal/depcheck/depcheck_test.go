// Package depcheck holds a test of the architecture's import direction:
// lower layers (config, formats, dist, site, digest) never import the layers
// that wire, sign, fetch or ship, nor cloud SDKs and Git.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/stockpile/stockpile"

var lower = []string{"config", "digest", "dist", "formats", "site"}

var forbidden = []string{
	module + "/generator",
	module + "/signing",
	module + "/artifact",
	module + "/source",
	module + "/publish",
	module + "/cmd",
	"github.com/aws/",
	"github.com/go-git/",
	"github.com/ProtonMail/",
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		if !isLower(pkg) {
			continue
		}
		for _, dep := range fields[1:] {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
					t.Errorf("%s imports %s (directly or not): lower layers must not", pkg, dep)
				}
			}
		}
	}
}

func isLower(pkg string) bool {
	for _, l := range lower {
		if pkg == l || strings.HasPrefix(pkg, l+"/") {
			return true
		}
	}
	return false
}
