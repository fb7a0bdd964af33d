package cdn

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const (
	pipJSONAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
	uvAccept      = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
	pipHTMLAccept = "text/html"
)

// cfCase is one viewer request and what the function must make of it: the
// URI sent to the origin, or "STATUS LOCATION" for a response of its own.
type cfCase struct {
	url, accept string
	want        string
}

var cfCases = []cfCase{
	// Folders and the browse site.
	{"/", "", "/index.html"},
	{"/_site/apt/", "", "/_site/apt/index.html"},
	{"/apt/", "", "/apt/index.html"},
	{"/_site/site.css", "", "/_site/site.css"},
	// apt and yum: keys as they are.
	{"/apt/dists/stable/InRelease", "", "/apt/dists/stable/InRelease"},
	{"/apt/pool/main/s/stockpile-greeting_1.2_demo-1_all.deb", "", "/apt/pool/main/s/stockpile-greeting_1.2_demo-1_all.deb"},
	{"/yum/repodata/repomd.xml", "", "/yum/repodata/repomd.xml"},
	// A literal '+' (dnf, TUF clients) is the key's '+', which S3 reads
	// only when encoded; an encoded one stays so.
	{"/yum/Packages/l/libstdc++-1.0-1.x86_64.rpm", "", "/yum/Packages/l/libstdc%2B%2B-1.0-1.x86_64.rpm"},
	{"/tuf/targets/abc.x+y.txt", "", "/tuf/targets/abc.x%2By.txt"},
	{"/pypi/files/foo/foo-1.0%2Blocal-py3-none-any.whl", pipJSONAccept, "/pypi/files/foo/foo-1.0%2Blocal-py3-none-any.whl"},
	// PyPI pages by Accept.
	{"/pypi/simple/", pipJSONAccept, "/pypi/simple/index.json"},
	{"/pypi/simple/", pipHTMLAccept, "/pypi/simple/index.html"},
	{"/pypi/simple/foo-bar/", pipJSONAccept, "/pypi/simple/foo-bar/index.json"},
	{"/pypi/simple/foo-bar/", uvAccept, "/pypi/simple/foo-bar/index.json"},
	{"/pypi/simple/foo-bar/", pipHTMLAccept, "/pypi/simple/foo-bar/index.html"},
	{"/pypi/simple/foo-bar/", "*/*", "/pypi/simple/foo-bar/index.html"},
	{"/pypi/simple/foo-bar/", "", "/pypi/simple/foo-bar/index.html"},
	{"/pypi/simple/foo-bar/", "text/html, application/vnd.pypi.simple.v1+json", "/pypi/simple/foo-bar/index.html"},
	{"/pypi/simple/foo-bar/", "application/vnd.pypi.simple.v1+json;q=0", "/pypi/simple/foo-bar/index.html"},
	{"/pypi/simple/foo-bar/", "Application/Vnd.PyPI.Simple.v1+JSON", "/pypi/simple/foo-bar/index.json"},
	{"/pypi/simple/foo-bar/index.json", pipHTMLAccept, "/pypi/simple/foo-bar/index.json"},
	{"/pypi/simple/index.html", pipJSONAccept, "/pypi/simple/index.html"},
	{"/pypi/simple", pipJSONAccept, "301 /pypi/simple/"},
	{"/pypi/simple/foo-bar", pipJSONAccept, "301 /pypi/simple/foo-bar/"},
	{"/pypi/simple/foo-bar?a=1&b", "", "301 /pypi/simple/foo-bar/?a=1&b"},
	{"/pypi/files/foo/foo-1.0-py3-none-any.whl.metadata", pipJSONAccept, "/pypi/files/foo/foo-1.0-py3-none-any.whl.metadata"},
	{"/pypi/", "", "/pypi/index.html"},
	// Only the listed repositories get the PyPI and npm rules.
	{"/other/simple/foo/", pipJSONAccept, "/other/simple/foo/index.html"},
	{"/other/left-pad", "", "/other/left-pad"},
	// npm: one key for every spelling of a name.
	{"/npm/left-pad", "", "/npm/left-pad/index.json"},
	{"/npm/left-pad/", "", "/npm/left-pad/index.json"},
	{"/npm/lodash.merge", "", "/npm/lodash.merge/index.json"},
	{"/npm/@s%2fn", "", "/npm/@s/n/index.json"},
	{"/npm/@s%2Fn", "", "/npm/@s/n/index.json"},
	{"/npm/@s/n", "", "/npm/@s/n/index.json"},
	{"/npm/%40s%2fn", "", "/npm/@s/n/index.json"},
	{"/npm/@s%2Fn/latest", "", "/npm/@s/n/latest/index.json"},
	{"/npm/left-pad/next", "", "/npm/left-pad/next/index.json"},
	{"/npm/-/npm/v1/keys", "", "/npm/-/npm/v1/keys/index.json"},
	{"/npm/left-pad/-/left-pad-1.0.0.tgz", "", "/npm/left-pad/-/left-pad-1.0.0.tgz"},
	{"/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz", "", "/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz"},
	{"/npm/@s%2fn/-/n-1.0.0.tgz", "", "/npm/@s/n/-/n-1.0.0.tgz"},
	{"/npm/@s/n/-/n-1.0.0.tgz", "", "/npm/@s/n/-/n-1.0.0.tgz"},
	{"/npm/", "", "/npm/index.html"},
	{"/npm/left-pad/index.json", "", "/npm/left-pad/index.json"},
	{"/npm/@s/n/latest/index.json", "", "/npm/@s/n/latest/index.json"},
	{"/npm/index.json", "", "/npm/index.json/index.json"}, // a package of that name
	// TUF targets of a consistent snapshot: hash-prefixed index documents.
	{"/npm/left-pad/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json", "", "/npm/left-pad/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json"},
	{"/npm/@s/n/latest/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json", "", "/npm/@s/n/latest/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json"},
	{"/pypi/simple/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json", "", "/pypi/simple/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json"},
	{"/pypi/simple/foo/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html", "", "/pypi/simple/foo/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html"},
	{"/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html", "", "/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html"},
	// Never served.
	{"/.stockpile/state.json", "", "404"},
	{"/.stockpile", "", "404"},
	{"/%2estockpile/state.json", "", "404"},
	{"/npm/..%2f.stockpile/lock", "", "404"},
	{"/apt/../.stockpile/lock", "", "404"},
	{"/apt/%2E%2E/x", "", "404"},
	{"/apt/dists/.tmp-123/Release", "", "404"},
	{"/pypi/simple/.stockpile/", "", "404"},
}

// The shipped CloudFront Function maps every URL form clients use to one
// key of the published tree.
func TestCloudFrontFunction(t *testing.T) {
	node := requireTool(t, "node")
	var events []map[string]any // one request per case
	for _, c := range cfCases {
		uri, query, _ := strings.Cut(c.url, "?")
		headers := map[string]any{}
		if c.accept != "" {
			headers["accept"] = map[string]string{"value": c.accept}
		}
		qs := map[string]any{}
		if query != "" {
			for _, kv := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				qs[k] = map[string]string{"value": v}
			}
		}
		events = append(events, map[string]any{"method": "GET", "uri": uri, "headers": headers, "querystring": qs})
	}
	in, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	script := CloudFrontFunction + `
const out = [];
for (const request of ` + string(in) + `) {
    const r = handler({ version: '1.0', context: {}, viewer: { ip: '127.0.0.1' }, request });
    out.push(r.statusCode ? (r.statusCode + (r.headers && r.headers.location ? ' ' + r.headers.location.value : '')) : r.uri);
}
console.log(JSON.stringify(out));
`
	out, err := exec.Command(node, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cfCases) {
		t.Fatalf("%v: %s", err, out)
	}
	for i, c := range cfCases {
		if got[i] != c.want {
			t.Errorf("handler(%s, Accept %q) = %q, want %q", c.url, c.accept, got[i], c.want)
		}
	}
}

// The function stays within what the cloudfront-js-2.0 runtime offers: a
// handler(event), no modules, no I/O, no timers.
func TestCloudFrontFunctionRuntime(t *testing.T) {
	if !strings.Contains(CloudFrontFunction, "function handler(event)") {
		t.Error("no handler(event)")
	}
	for _, banned := range []string{"require(", "import ", "setTimeout", "process.", "fetch(", "async "} {
		if strings.Contains(CloudFrontFunction, banned) {
			t.Errorf("uses %q, which CloudFront Functions do not offer", banned)
		}
	}
	// CloudFront Functions are limited to 10 KB of code.
	if n := len(CloudFrontFunction); n > 10*1024 {
		t.Errorf("%d bytes, over the 10 KB limit", n)
	}
}

// requireTool returns the path of an external program; a missing one skips
// the test, or fails it under CI=true.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not installed: %v", name, err)
	}
	t.Skipf("%s not installed", name)
	return ""
}
