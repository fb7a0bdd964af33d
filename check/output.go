package check

import (
	"fmt"
	"io"
	"strings"
)

// maxListed bounds the tree files a summary lists one by one.
const maxListed = 300

// Summary writes the report for a person reading a terminal.
func (r *Report) Summary(w io.Writer) {
	fmt.Fprintf(w, "base %s, merge base %s, head %s: %d commit(s)\n", orNone(r.BaseRef, r.Base), orNone(short(r.MergeBase), ""), short(r.Head), len(r.Commits))
	for _, f := range r.Files {
		if f.Kind == "settings" {
			fmt.Fprintf(w, "  %s %s\n", f.Path, f.Action)
		}
	}
	for _, p := range r.Packages {
		fmt.Fprintf(w, "  %s %-8s %s\n", sign(p.Action), p.Repository, describePackage(p))
	}
	for _, c := range r.Commits {
		if c.Signer != "" {
			fmt.Fprintf(w, "  commit %s signed by %s\n", short(c.Hash), c.Signer)
		}
	}
	if t := r.Tree; t != nil {
		fmt.Fprintf(w, "tree: %d file(s) added, %d changed, %d removed\n", len(t.Added), len(t.Modified), len(t.Removed))
	}
	for _, f := range r.Findings {
		fmt.Fprintln(w, f.String())
	}
	if r.OK {
		fmt.Fprintln(w, "ok: the change may merge")
	}
}

func orNone(ref, hash string) string {
	switch {
	case ref == "" && hash == "":
		return "(none)"
	case ref == hash:
		return short(hash)
	case hash == "":
		return ref
	}
	return fmt.Sprintf("%s (%s)", ref, short(hash))
}

func sign(action string) string {
	switch action {
	case "added":
		return "+"
	case "removed":
		return "-"
	}
	return "~"
}

func describePackage(p Package) string {
	s := p.File
	if p.Name != "" {
		s = strings.TrimSpace(fmt.Sprintf("%s %s %s", p.Name, p.Version, p.Arch)) + " (" + p.File + ")"
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Annotations writes GitHub Actions workflow commands that annotate the
// files and lines of the findings in the pull request.
func (r *Report) Annotations(w io.Writer) {
	for _, f := range r.Findings {
		var props []string
		if f.File != "" {
			props = append(props, "file="+escapeProperty(f.File))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
			}
		}
		props = append(props, "title="+escapeProperty("stockpile check: "+f.Check))
		fmt.Fprintf(w, "::%s %s::%s\n", f.Severity, strings.Join(props, ","), escapeData(f.Message))
	}
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// Markdown writes the report as a pull request summary: the verdict, the
// problems, and a preview of what the merge will publish.
func (r *Report) Markdown(w io.Writer) {
	if r.OK {
		fmt.Fprintln(w, "## ✅ stockpile check: the change may merge")
	} else {
		fmt.Fprintf(w, "## ❌ stockpile check: the change must not merge (%d problem(s))\n", r.Errors())
	}
	fmt.Fprintf(w, "\nBase %s, merge base %s, head `%s`; %d commit(s).\n", code(orNone(r.BaseRef, r.Base)), code(orNone(short(r.MergeBase), "")), short(r.Head), len(r.Commits))

	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "\n### Findings\n\n| | Where | Check | Message |\n|---|---|---|---|")
		for _, f := range r.Findings {
			where := f.File
			if f.Line > 0 {
				where = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", icon(f.Severity), code(where), f.Check, cell(f.Message))
		}
	}

	fmt.Fprintln(w, "\n### Packages")
	if len(r.Packages) == 0 {
		fmt.Fprintln(w, "\nNo package is added, removed or changed.")
	}
	repo := ""
	for _, p := range r.Packages {
		if p.Repository != repo {
			repo = p.Repository
			fmt.Fprintf(w, "\n**%s**\n\n| | Package | Version | Arch | File |\n|---|---|---|---|---|\n", repo)
		}
		action := p.Action
		if p.Detail != "" {
			action += " (" + p.Detail + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", cell(action), cell(p.Name), cell(p.Version), cell(p.Arch), code(p.File))
	}
	for _, f := range r.Files {
		if f.Kind == "settings" {
			fmt.Fprintf(w, "\n`%s` is %s: review the repository settings and rules.\n", f.Path, f.Action)
		}
	}

	if t := r.Tree; t != nil {
		fmt.Fprintf(w, "\n### Published tree\n\n%d file(s) added, %d changed, %d removed (signatures are made when publishing and not listed).\n",
			len(t.Added), len(t.Modified), len(t.Removed))
		if n := len(t.Added) + len(t.Modified) + len(t.Removed); n > 0 {
			fmt.Fprintln(w, "\n<details><summary>Files</summary>\n\n```")
			listed := 0
			for _, l := range []struct {
				mark  string
				paths []string
			}{{"+", t.Added}, {"~", t.Modified}, {"-", t.Removed}} {
				for _, p := range l.paths {
					if listed == maxListed {
						break
					}
					fmt.Fprintf(w, "%s %s\n", l.mark, p)
					listed++
				}
			}
			if n > listed {
				fmt.Fprintf(w, "… and %d more\n", n-listed)
			}
			fmt.Fprintln(w, "```\n\n</details>")
		}
	}
	if len(r.Commits) > 0 {
		fmt.Fprintln(w, "\n<details><summary>Commits</summary>\n\n| Commit | Subject | Signature |\n|---|---|---|")
		for _, c := range r.Commits {
			sig := "unsigned"
			switch {
			case c.Signer != "":
				sig = "verified: " + c.Signer
			case c.Problem != "":
				sig = c.Problem
			case c.Signed:
				sig = "signed (not checked)"
			}
			fmt.Fprintf(w, "| `%s` | %s | %s |\n", short(c.Hash), cell(c.Subject), cell(sig))
		}
		fmt.Fprintln(w, "\n</details>")
	}
}

func icon(severity string) string {
	switch severity {
	case SeverityError:
		return "❌"
	case SeverityWarning:
		return "⚠️"
	}
	return "ℹ️"
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}
