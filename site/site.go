// Package site renders the registry's browse pages: what is there and how to
// use it. Pages are static and need no JavaScript.
package site

import (
	"bytes"
	"embed"
	"html/template"

	"github.com/stockpile/stockpile/config"
)

//go:embed templates/*.html
var templates embed.FS

var pages = template.Must(template.ParseFS(templates, "templates/*.html"))

// Registry is what the home page shows.
type Registry struct {
	Name         string
	BaseURL      string
	Repositories []*config.Repository
}

// Render returns the home page.
func Render(r Registry) ([]byte, error) {
	if r.Name == "" {
		r.Name = "Package registry"
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "home.html", r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
