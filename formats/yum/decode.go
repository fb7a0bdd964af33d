package yum

import (
	"strconv"
	"unicode/utf8"
)

// decodeFast parses metadata as Inspect writes it, without reflection:
// encoding/json spends most of a warm build's indexing time on it. It
// accepts only the plain form (known keys spelled exactly, no nulls, no
// surrogate escapes, non-negative integers) and reports false for anything
// else, which DecodeMeta then hands to encoding/json. Where it succeeds it
// gives what encoding/json gives (a fuzz test compares them).
func decodeFast(data []byte) (*Package, bool) {
	// One copy of the whole text: strings without escapes are slices of it.
	d := &jsonDec{b: data, s: string(data)}
	var p Package
	// encoding/json decodes a repeated array into the first one's elements,
	// keeping fields the second does not set: leave repeated keys to it.
	var seen uint64
	d.next('{')
	for first := true; d.more(&first, '}'); {
		key := d.key()
		bit := uint64(1) << topKeys[key]
		if seen&bit != 0 || topKeys[key] == 0 && key != "name" {
			d.fail()
			break
		}
		seen |= bit
		switch key {
		case "name":
			p.Name = d.str()
		case "epoch":
			p.Epoch = d.uint()
		case "version":
			p.Version = d.str()
		case "release":
			p.Release = d.str()
		case "arch":
			p.Arch = d.str()
		case "summary":
			p.Summary = d.str()
		case "description":
			p.Description = d.str()
		case "packager":
			p.Packager = d.str()
		case "url":
			p.URL = d.str()
		case "license":
			p.License = d.str()
		case "vendor":
			p.Vendor = d.str()
		case "group":
			p.Group = d.str()
		case "buildhost":
			p.BuildHost = d.str()
		case "sourcerpm":
			p.SourceRPM = d.str()
		case "buildtime":
			p.BuildTime = d.uint()
		case "package_size":
			p.PackageSize = d.int()
		case "installed_size":
			p.InstalledSize = d.uint()
		case "archive_size":
			p.ArchiveSize = d.uint()
		case "header_start":
			p.HeaderStart = d.int()
		case "header_end":
			p.HeaderEnd = d.int()
		case "provides":
			p.Provides = d.deps()
		case "requires":
			p.Requires = d.deps()
		case "conflicts":
			p.Conflicts = d.deps()
		case "obsoletes":
			p.Obsoletes = d.deps()
		case "suggests":
			p.Suggests = d.deps()
		case "enhances":
			p.Enhances = d.deps()
		case "recommends":
			p.Recommends = d.deps()
		case "supplements":
			p.Supplements = d.deps()
		case "files":
			p.Files = d.files()
		case "changelog":
			p.Changelog = d.changelog()
		case "signatures":
			p.Signatures = d.signatures()
		}
	}
	d.ws()
	if d.bad || d.i != len(d.b) {
		return nil, false
	}
	return &p, true
}

// topKeys numbers the keys of Package for the repeated-key check.
var topKeys = map[string]uint{
	"name": 0, "epoch": 1, "version": 2, "release": 3, "arch": 4, "summary": 5, "description": 6,
	"packager": 7, "url": 8, "license": 9, "vendor": 10, "group": 11, "buildhost": 12, "sourcerpm": 13,
	"buildtime": 14, "package_size": 15, "installed_size": 16, "archive_size": 17, "header_start": 18,
	"header_end": 19, "provides": 20, "requires": 21, "conflicts": 22, "obsoletes": 23, "suggests": 24,
	"enhances": 25, "recommends": 26, "supplements": 27, "files": 28, "changelog": 29, "signatures": 30,
}

func (d *jsonDec) files() []File {
	out := []File{}
	d.next('[')
	for first := true; d.more(&first, ']'); {
		var f File
		d.next('{')
		for first := true; d.more(&first, '}'); {
			switch d.key() {
			case "path":
				f.Path = d.str()
			case "type":
				f.Type = d.str()
			default:
				d.fail()
			}
		}
		out = append(out, f)
	}
	return out
}

func (d *jsonDec) changelog() []Change {
	out := []Change{}
	d.next('[')
	for first := true; d.more(&first, ']'); {
		var c Change
		d.next('{')
		for first := true; d.more(&first, '}'); {
			switch d.key() {
			case "author":
				c.Author = d.str()
			case "date":
				c.Date = d.uint()
			case "text":
				c.Text = d.str()
			default:
				d.fail()
			}
		}
		out = append(out, c)
	}
	return out
}

func (d *jsonDec) signatures() []Signature {
	out := []Signature{}
	d.next('[')
	for first := true; d.more(&first, ']'); {
		var s Signature
		d.next('{')
		for first := true; d.more(&first, '}'); {
			switch d.key() {
			case "covers":
				s.Covers = d.str()
			case "algorithm":
				s.Algorithm = d.str()
			case "key_id":
				s.KeyID = d.str()
			case "fingerprint":
				s.Fingerprint = d.str()
			default:
				d.fail()
			}
		}
		out = append(out, s)
	}
	return out
}

func (d *jsonDec) deps() []Dep {
	out := []Dep{}
	d.next('[')
	for first := true; d.more(&first, ']'); {
		var dep Dep
		d.next('{')
		for first := true; d.more(&first, '}'); {
			switch d.key() {
			case "name":
				dep.Name = d.str()
			case "flags":
				dep.Flags = d.str()
			case "epoch":
				dep.Epoch = d.str()
			case "ver":
				dep.Version = d.str()
			case "rel":
				dep.Release = d.str()
			case "pre":
				dep.Pre = d.boolean()
			default:
				d.fail()
			}
		}
		out = append(out, dep)
	}
	return out
}

// jsonDec is a cursor over JSON text; bad is set at the first thing it
// does not handle, after which every call is a no-op.
type jsonDec struct {
	b   []byte
	s   string // b as a string
	i   int
	bad bool
}

func (d *jsonDec) fail() { d.bad = true }

func (d *jsonDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c, or fails.
func (d *jsonDec) next(c byte) bool {
	d.ws()
	if d.bad || d.i >= len(d.b) || d.b[d.i] != c {
		d.fail()
		return false
	}
	d.i++
	return true
}

// peek skips white space and reports whether the next byte is c.
func (d *jsonDec) peek(c byte) bool {
	d.ws()
	return !d.bad && d.i < len(d.b) && d.b[d.i] == c
}

// more advances to the next member of an object or array that ends with
// end, reporting false at its end (or on an error).
func (d *jsonDec) more(first *bool, end byte) bool {
	if d.bad {
		return false
	}
	if *first {
		*first = false
		if d.peek(end) {
			d.i++
			return false
		}
		return true
	}
	if d.peek(',') {
		d.i++
		return true
	}
	d.next(end)
	return false
}

// key reads an object's key and the ':' after it.
func (d *jsonDec) key() string {
	k := d.str()
	d.next(':')
	return k
}

func (d *jsonDec) boolean() bool {
	d.ws()
	switch {
	case d.bad:
	case d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
		return true
	case d.i+5 <= len(d.b) && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
		return false
	default:
		d.fail()
	}
	return false
}

// digits returns a non-negative integer's digits: no sign, fraction,
// exponent or leading zero.
func (d *jsonDec) digits() string {
	d.ws()
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	s := string(d.b[start:d.i])
	if d.bad || s == "" || (len(s) > 1 && s[0] == '0') ||
		(d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E')) {
		d.fail()
		return "0"
	}
	return s
}

func (d *jsonDec) uint() uint64 {
	v, err := strconv.ParseUint(d.digits(), 10, 64)
	if err != nil {
		d.fail()
	}
	return v
}

func (d *jsonDec) int() int64 {
	v, err := strconv.ParseInt(d.digits(), 10, 64)
	if err != nil {
		d.fail()
	}
	return v
}

// str reads a string. Strings without escapes are sliced as they are; the
// escapes encoding/json writes are decoded, surrogate pairs are left to it.
func (d *jsonDec) str() string {
	if !d.next('"') {
		return ""
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(s) {
				d.fail() // encoding/json would replace the bad bytes
				return ""
			}
			return s
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			d.fail()
			return ""
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	d.fail()
	return ""
}

// escaped finishes a string that has an escape at d.i.
func (d *jsonDec) escaped(start int) string {
	out := make([]byte, 0, d.i-start+16)
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				d.fail()
				return ""
			}
			return string(out)
		case c < 0x20:
			d.fail()
			return ""
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			break
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if d.i+4 > len(d.b) {
				d.fail()
				return ""
			}
			v, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
			if err != nil || (v >= 0xd800 && v < 0xe000) {
				d.fail()
				return ""
			}
			out = utf8.AppendRune(out, rune(v))
			d.i += 4
		default:
			d.fail()
			return ""
		}
	}
	d.fail()
	return ""
}
