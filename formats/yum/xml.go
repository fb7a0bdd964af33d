package yum

import (
	"strconv"
)

// The XML is written by hand, element names and all. libsolv matches
// literal element names such as "rpm:entry", so the prefix must be written
// as is; encoding/xml would move it into xmlns attributes. The layout
// follows createrepo_c's, two spaces per level.

const (
	nsCommon    = "http://linux.duke.edu/metadata/common"
	nsRPM       = "http://linux.duke.edu/metadata/rpm"
	nsFilelists = "http://linux.duke.edu/metadata/filelists"
	nsOther     = "http://linux.duke.edu/metadata/other"
	nsRepo      = "http://linux.duke.edu/metadata/repo"

	xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
)

// pkgRef is what the indexes say about a package besides Inspect's fields.
type pkgRef struct {
	pkgid string // hex sha256 of the .rpm
	href  string // location relative to the repository root
	time  int64  // the file time: when the package was added
	size  int64  // the .rpm's size
}

// appendPrimary appends the <package> element of primary.xml.
func appendPrimary(b []byte, p *Package, ref pkgRef) []byte {
	b = append(b, "<package type=\"rpm\">\n  <name>"...)
	b = appendText(b, p.Name)
	b = append(b, "</name>\n  <arch>"...)
	b = appendText(b, p.Arch)
	b = append(b, "</arch>\n"...)
	b = appendVersion(b, p)
	b = append(b, "  <checksum type=\"sha256\" pkgid=\"YES\">"...)
	b = append(b, ref.pkgid...)
	b = append(b, "</checksum>\n"...)
	b = appendElem(b, "  ", "summary", p.Summary)
	b = appendElem(b, "  ", "description", p.Description)
	b = appendElem(b, "  ", "packager", p.Packager)
	b = appendElem(b, "  ", "url", p.URL)
	b = append(b, "  <time file=\""...)
	b = strconv.AppendInt(b, ref.time, 10)
	b = append(b, "\" build=\""...)
	b = strconv.AppendUint(b, p.BuildTime, 10)
	b = append(b, "\"/>\n  <size package=\""...)
	b = strconv.AppendInt(b, ref.size, 10)
	b = append(b, "\" installed=\""...)
	b = strconv.AppendUint(b, p.InstalledSize, 10)
	b = append(b, "\" archive=\""...)
	b = strconv.AppendUint(b, p.ArchiveSize, 10)
	b = append(b, "\"/>\n  <location href=\""...)
	b = appendAttr(b, ref.href)
	b = append(b, "\"/>\n  <format>\n"...)
	b = appendElem(b, "    ", "rpm:license", p.License)
	b = appendElem(b, "    ", "rpm:vendor", p.Vendor)
	b = appendElem(b, "    ", "rpm:group", p.Group)
	b = appendElem(b, "    ", "rpm:buildhost", p.BuildHost)
	b = appendElem(b, "    ", "rpm:sourcerpm", p.SourceRPM)
	b = append(b, "    <rpm:header-range start=\""...)
	b = strconv.AppendInt(b, p.HeaderStart, 10)
	b = append(b, "\" end=\""...)
	b = strconv.AppendInt(b, p.HeaderEnd, 10)
	b = append(b, "\"/>\n"...)
	b = appendDeps(b, "rpm:provides", p.Provides)
	b = appendDeps(b, "rpm:requires", p.Requires)
	b = appendDeps(b, "rpm:conflicts", p.Conflicts)
	b = appendDeps(b, "rpm:obsoletes", p.Obsoletes)
	b = appendDeps(b, "rpm:suggests", p.Suggests)
	b = appendDeps(b, "rpm:enhances", p.Enhances)
	b = appendDeps(b, "rpm:recommends", p.Recommends)
	b = appendDeps(b, "rpm:supplements", p.Supplements)
	for _, f := range p.Files {
		if isPrimaryFile(f.Path) {
			b = appendFile(b, "    ", f)
		}
	}
	return append(b, "  </format>\n</package>\n"...)
}

// appendFilelists appends the <package> element of filelists.xml.
func appendFilelists(b []byte, p *Package, ref pkgRef) []byte {
	b = appendPackageStart(b, p, ref)
	for _, f := range p.Files {
		b = appendFile(b, "  ", f)
	}
	return append(b, "</package>\n"...)
}

// appendOther appends the <package> element of other.xml.
func appendOther(b []byte, p *Package, ref pkgRef) []byte {
	b = appendPackageStart(b, p, ref)
	for _, c := range p.Changelog {
		b = append(b, "  <changelog author=\""...)
		b = appendAttr(b, c.Author)
		b = append(b, "\" date=\""...)
		b = strconv.AppendUint(b, c.Date, 10)
		b = append(b, "\">"...)
		b = appendText(b, c.Text)
		b = append(b, "</changelog>\n"...)
	}
	return append(b, "</package>\n"...)
}

func appendPackageStart(b []byte, p *Package, ref pkgRef) []byte {
	b = append(b, "<package pkgid=\""...)
	b = append(b, ref.pkgid...)
	b = append(b, "\" name=\""...)
	b = appendAttr(b, p.Name)
	b = append(b, "\" arch=\""...)
	b = appendAttr(b, p.Arch)
	b = append(b, "\">\n"...)
	return appendVersion(b, p)
}

func appendVersion(b []byte, p *Package) []byte {
	b = append(b, "  <version epoch=\""...)
	b = strconv.AppendUint(b, p.Epoch, 10)
	b = append(b, "\" ver=\""...)
	b = appendAttr(b, p.Version)
	b = append(b, "\" rel=\""...)
	b = appendAttr(b, p.Release)
	return append(b, "\"/>\n"...)
}

func appendFile(b []byte, indent string, f File) []byte {
	b = append(b, indent...)
	if f.Type == "" {
		b = append(b, "<file>"...)
	} else {
		b = append(b, "<file type=\""...)
		b = appendAttr(b, f.Type)
		b = append(b, "\">"...)
	}
	b = appendText(b, f.Path)
	return append(b, "</file>\n"...)
}

func appendDeps(b []byte, elem string, deps []Dep) []byte {
	if len(deps) == 0 {
		return b
	}
	b = append(b, "    <"...)
	b = append(b, elem...)
	b = append(b, ">\n"...)
	for _, d := range deps {
		b = append(b, "      <rpm:entry name=\""...)
		b = appendAttr(b, d.Name)
		b = append(b, '"')
		if d.Flags != "" {
			b = appendAttrPair(b, "flags", d.Flags)
			b = appendAttrPair(b, "epoch", d.Epoch)
			b = appendAttrPair(b, "ver", d.Version)
			b = appendAttrPair(b, "rel", d.Release)
		}
		if d.Pre {
			b = append(b, " pre=\"1\""...)
		}
		b = append(b, "/>\n"...)
	}
	b = append(b, "    </"...)
	b = append(b, elem...)
	return append(b, ">\n"...)
}

// appendAttrPair appends ` name="value"` unless value is empty.
func appendAttrPair(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, "=\""...)
	b = appendAttr(b, value)
	return append(b, '"')
}

// appendElem appends indent<name>text</name> and a newline; an empty text
// gives <name/>.
func appendElem(b []byte, indent, name, text string) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	if text == "" {
		return append(b, "/>\n"...)
	}
	b = append(b, '>')
	b = appendText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

// appendText appends s escaped for character data. Inspect has already
// dropped what XML cannot hold; '\r' is written as a reference so that
// parsers do not turn it into '\n'.
func appendText(b []byte, s string) []byte { return appendEscaped(b, s, false) }

// appendAttr appends s escaped for a double-quoted attribute value; white
// space other than ' ' is written as references so that attribute value
// normalization keeps it.
func appendAttr(b []byte, s string) []byte { return appendEscaped(b, s, true) }

func appendEscaped(b []byte, s string, attr bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch c := s[i]; {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#13;"
		case attr && c == '"':
			esc = "&quot;"
		case attr && c == '\t':
			esc = "&#9;"
		case attr && c == '\n':
			esc = "&#10;"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}
