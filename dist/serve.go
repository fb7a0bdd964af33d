package dist

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// PyPIJSON is the media type of the PEP 691 JSON simple pages.
const PyPIJSON = "application/vnd.pypi.simple.v1+json"

// Handler serves the tree in dir the way the object store behind the shipped
// CDN rules does: explicit Content-Type and Cache-Control from RuleFor, 404
// for anything missing (never 403, never a listing), "dir/" → its index
// document, "dir" → 301 to "dir/" when it has an index page, and a folder
// holding index.json (an npm packument) served at its own name, which also
// makes "@scope%2fname" and "@scope%2Fname" work since the path is decoded.
func Handler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key, ok := treeKey(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		target, redirect := resolve(dir, key, r.Header.Get("Accept"))
		switch {
		case redirect:
			http.Redirect(w, r, "/"+key+"/", http.StatusMovedPermanently)
		case target == "":
			http.NotFound(w, r)
		default:
			serveFile(w, r, dir, target)
		}
	})
}

// treeKey turns a decoded URL path into a tree key ("" for the root) and
// whether it named a folder (trailing slash) — encoded in the returned key
// by a trailing "/".
func treeKey(urlPath string) (string, bool) {
	p := strings.TrimPrefix(urlPath, "/")
	dirURL := strings.HasSuffix(p, "/") || p == ""
	p = strings.TrimSuffix(p, "/")
	if p != "" && !ValidPath(p) {
		return "", false
	}
	// No tree file starts with a dot: ".tmp-*" are writes in progress, and
	// ".stockpile/" holds a publish folder's own records.
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	if dirURL && p != "" {
		p += "/"
	}
	return p, true
}

// resolve maps a key to the file to serve, or asks for a redirect.
func resolve(dir, key, accept string) (file string, redirect bool) {
	if key == "" || strings.HasSuffix(key, "/") {
		base := key
		if wantsPyPIJSON(accept) && isFile(dir, base+"index.json") {
			return base + "index.json", false
		}
		if isFile(dir, base+"index.html") {
			return base + "index.html", false
		}
		return "", false
	}
	if isFile(dir, key) {
		return key, false
	}
	if isFile(dir, key+"/index.html") {
		return "", true
	}
	if isFile(dir, key+"/index.json") {
		return key + "/index.json", false
	}
	return "", false
}

func isFile(dir, key string) bool {
	st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(key)))
	return err == nil && st.Mode().IsRegular()
}

func serveFile(w http.ResponseWriter, r *http.Request, dir, key string) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.NotFound(w, r)
		return
	}
	rule := RuleFor(key)
	h := w.Header()
	h.Set("Content-Type", rule.ContentType)
	h.Set("Cache-Control", rule.CacheControl)
	if path.Base(key) == "index.json" || path.Base(key) == "index.html" {
		h.Set("Vary", "Accept")
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// wantsPyPIJSON reports whether the Accept header ranks the PEP 691 JSON
// media type above every HTML variant.
func wantsPyPIJSON(accept string) bool {
	best := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		media := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, param := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > best[media] {
			best[media] = q
		}
	}
	json := best[PyPIJSON]
	html := max(best["application/vnd.pypi.simple.v1+html"], best["text/html"], best["*/*"])
	return json > 0 && json > html
}
