package npm

import (
	"errors"
	"fmt"
	"strings"
)

// maxNameLength is the longest name npm accepts for new packages.
const maxNameLength = 214

// ValidName reports why name is not a package name npm accepts for new
// packages, or nil. These are the rules of npm's validate-npm-package-name
// (lowercase, URL-safe, at most 214 characters, no leading '.', '_' or '-',
// "@scope/name" for scoped packages), except that names of Node.js core
// modules are allowed: packages such as "events" or "buffer" exist on npm and
// a registry may need to carry them.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("empty package name")
	case len(name) > maxNameLength:
		return fmt.Errorf("package name %q is longer than %d characters", name, maxNameLength)
	case name[0] == '.' || name[0] == '_' || name[0] == '-':
		return fmt.Errorf("package name %q starts with %q", name, name[0])
	case strings.ToLower(name) != name:
		return fmt.Errorf("package name %q has capital letters", name)
	case name == "node_modules" || name == "favicon.ico":
		return fmt.Errorf("%q is not a valid package name", name)
	}
	scope, base, scoped := splitName(name)
	if scoped {
		if scope == "" || base == "" || !urlSafe(scope) {
			return fmt.Errorf("package name %q is not @scope/name with URL-safe characters", name)
		}
		if base[0] == '.' {
			return fmt.Errorf("package name %q starts with '.' after the scope", name)
		}
	}
	if !urlSafe(base) {
		return fmt.Errorf("package name %q has characters that are not URL-safe", name)
	}
	if strings.ContainsAny(base, "~'!()*") {
		return fmt.Errorf("package name %q has one of the characters ~'!()*", name)
	}
	return nil
}

// splitName splits "@scope/name" into its scope and name; an unscoped name
// is returned as base.
func splitName(name string) (scope, base string, scoped bool) {
	if !strings.HasPrefix(name, "@") {
		return "", name, false
	}
	scope, base, ok := strings.Cut(name[1:], "/")
	if !ok {
		// "@name" without a scope: not URL-safe, reported as such.
		return "", name, false
	}
	return scope, base, true
}

// urlSafe reports whether encodeURIComponent leaves s unchanged.
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.!~*'()", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// tarballBase is the file name of a version's tarball in the registry, as
// the public registry names it: the unscoped part of the name and the
// version.
func tarballBase(name, version string) string {
	_, base, _ := splitName(name)
	return base + "-" + version + ".tgz"
}

// fileNames lists the artifact file names accepted for a version of
// package.json: the registry's own name, and for a scoped package the name
// `npm pack` writes ("scope-name-1.0.0.tgz"); with build metadata, each with
// and without it.
func fileNames(name, version string) []string {
	versions := []string{version}
	if clean := registryVersion(version); clean != version {
		versions = append(versions, clean)
	}
	var names []string
	for _, v := range versions {
		names = append(names, tarballBase(name, v))
		if scope, base, scoped := splitName(name); scoped {
			names = append(names, scope+"-"+base+"-"+v+".tgz")
		}
	}
	return names
}

// checkFileName reports an artifact whose file name does not match the name
// and version in its package.json.
func checkFileName(file, name, version string) error {
	want := fileNames(name, version)
	for _, w := range want {
		if file == w {
			return nil
		}
	}
	return fmt.Errorf("file name %q does not match package.json (%s@%s): want %s", file, name, version, strings.Join(want, " or "))
}
