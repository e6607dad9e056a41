package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

//go:embed testdata/axe/axe.min.js
var axeSource string

// chromium is the browser the console tests drive: LINKAGE_CHROMIUM, or
// Debian's chromium on the PATH. Without one the tests skip, loudly; under
// CI=true a missing browser fails them (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LINKAGE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium for the console browser tests: install Debian's chromium (.ci/run does) or set LINKAGE_CHROMIUM")
	}
	fmt.Fprintln(os.Stderr, "SKIPPING the console browser tests: no Chromium found (apt-get install chromium, or set LINKAGE_CHROMIUM)")
	t.Skip("no Chromium: the console browser tests did not run")
	return ""
}

// browser is a headless Chromium tab against the demo server at base.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	// shots is where screenshots go (LINKAGE_SCREENSHOTS), "" for none.
	shots string
}

func newBrowser(t *testing.T, base string, extra ...chromedp.ExecAllocatorOption) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	// The first run starts the browser for the life of its context: on
	// ctx, so that the steps' own timeouts do not stop it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("LINKAGE_SCREENSHOTS")}
}

// run runs actions, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	// One step waits at most a minute: a missing element fails fast.
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatal(what, err)
	}
}

// fatal fails the test at what, with the page it was on.
func (b *browser) fatal(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	b.t.Fatalf("%s: %v\nat %s:\n%.1500s", what, err, loc, body)
}

// get runs an action that answers a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatal(what, err)
	}
	return v
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.run("sign in as "+email, chromedp.Navigate(b.base+"/app/"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("form[action='/app/sign-out']")))
}

func (b *browser) signOut() {
	b.t.Helper()
	b.run("sign out", chromedp.Click(chromedp.CSS("form[action='/app/sign-out'] button")), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// check runs the page checks on the page shown: axe-core finds no serious
// or critical WCAG 2.1 AA violation, and at 390 and 1280 px wide nothing
// is wider than the screen; with LINKAGE_SCREENSHOTS set, it saves both.
func (b *browser) check(name string) {
	b.t.Helper()
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	run := `(async () => { if (!window.axe) { ` + axeSource + ` }
	  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
	  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical'); })()`
	violations := get(b, "axe on "+name, chromedp.Evaluate[[]violation](run, chromedp.EvalAwaitPromise))
	for _, v := range violations {
		b.t.Errorf("%s: accessibility %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
	}
	for _, width := range []int64{390, 1280} {
		b.run(fmt.Sprintf("%s at %d px", name, width), chromedp.EmulateViewport(width, 900))
		overflow := get(b, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if overflow > 0 {
			b.t.Errorf("%s at %d px: the page is %d px wider than the screen", name, width, overflow)
		}
		if b.shots != "" {
			jpg := get(b, "screenshot", chromedp.FullScreenshot(60)) // below 100: JPEG
			if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%d.jpg", name, width)), jpg, 0o644); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	b.run("desktop size", chromedp.EmulateViewport(1280, 900))
}

// demoAccount is the password of a demo console account, from the lines
// serve printed into the data dir.
func demoAccount(t *testing.T, dataDir, email string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, demoStaffFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[len(f)-2] == email {
			return f[len(f)-1]
		}
	}
	t.Fatalf("no demo account %s in %s", email, b)
	return ""
}
