package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stockpile/stockpile/dist"
)

// The browse site of the example registry in headless Chromium: the home
// page lists every repository, search finds a package, and its page has the
// install snippet and each file's sha256. STOCKPILE_SCREENSHOT_DIR keeps the
// screenshots; otherwise they go to a temporary folder.
func TestSiteInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	browser := requireTool(t, "chromium")
	requireTool(t, "git")
	reg := exampleRegistry(t)
	git(t, reg, "init", "-q", "-b", "main")
	git(t, reg, "add", "-A")
	git(t, reg, "commit", "-q", "-m", "example registry")
	rev, err := exec.Command("git", "-C", reg, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(string(rev))
	out := filepath.Join(t.TempDir(), "public")
	srv := httptest.NewServer(dist.Handler(out))
	defer srv.Close()
	base := srv.URL + "/"
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", base)

	manifest, err := os.ReadFile(filepath.Join(reg, "packages/pypi/stockpile_hello-1.0.0-py3-none-any.whl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^sha256:\s*([0-9a-f]{64})`).FindSubmatch(manifest)
	if m == nil {
		t.Fatalf("no sha256 in the manifest:\n%s", manifest)
	}
	sha := string(m[1])

	shots := os.Getenv("STOCKPILE_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915), // a phone
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// step runs one action that yields a value, stopping the test on error.
	var err2 error
	text := func(sel chromedp.CSS) string {
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil && err2 == nil {
			err2 = fmt.Errorf("text of %s: %w", sel, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	repos := text("table tbody")
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	home, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "stockpile-hello"),
		chromedp.WaitVisible(chromedp.CSS("#results li a")),
	)
	if err == nil {
		// Results follow each keystroke: wait for those of the whole name.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](
			`(document.querySelector("#results li a") || {}).textContent === "stockpile-hello" && / match/.test(document.querySelector("#search-status").textContent)`,
			chromedp.WithPollingTimeout(20*time.Second)))
	}
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#results").outerHTML + document.querySelector("#search-status").textContent`))
		t.Fatalf("search: %v\n%s", err, state)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#results li a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	resultURL := href.Value
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#results li a")), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("follow the search result: %v", err)
	}
	title, install, body := text("h1"), text("pre"), text("main")
	if err2 != nil {
		t.Fatal(err2)
	}
	pkg, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(shots, "site-home.png"), home, 0o644)
	os.WriteFile(filepath.Join(shots, "site-package.png"), pkg, 0o644)
	t.Logf("screenshots in %s", shots)

	for _, name := range []string{"apt", "yum", "pypi", "npm"} {
		if !strings.Contains(repos, name) {
			t.Errorf("home page lists no %s repository: %q", name, repos)
		}
	}
	if overflow {
		t.Errorf("home page is wider than a phone's screen")
	}
	if !strings.HasSuffix(resultURL, "_site/pypi/p/stockpile-hello.html") {
		t.Errorf("first search result links to %s", resultURL)
	}
	if title != "stockpile-hello" {
		t.Errorf("package page heading %q", title)
	}
	if want := "pip install --index-url " + base + "pypi/simple/ stockpile-hello"; !strings.Contains(install, want) {
		t.Errorf("install snippet %q lacks %q", install, want)
	}
	if want := "2024-01-02 in commit " + commit[:12]; !strings.Contains(body, want) {
		t.Errorf("package page lacks the provenance %q:\n%s", want, body)
	}
	if !strings.Contains(body, sha) {
		t.Errorf("package page lacks the sha256 %s:\n%s", sha, body)
	}
}
