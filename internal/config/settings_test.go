package config

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md and the README's list of settings from Settings")

// TestConfigurationDoc fails when docs/configuration.md or the README's
// list of settings is not what Settings says; -update (go generate)
// rewrites both.
func TestConfigurationDoc(t *testing.T) {
	const doc, readme = "../../docs/configuration.md", "../../README.md"
	got := Markdown()
	r, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(r), ReadmeBegin)
	_, after, ok2 := strings.Cut(rest, ReadmeEnd+"\n")
	if !ok1 || !ok2 {
		t.Fatalf("README.md lacks the lines %q and %q around its list of settings", ReadmeBegin, ReadmeEnd)
	}
	newReadme := before + ReadmeTable() + after
	if *update {
		if err := os.WriteFile(doc, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(readme, []byte(newReadme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := os.ReadFile(doc); err != nil || string(b) != got {
		t.Errorf("%s is not generated from Settings (%v); run go generate ./internal/config", doc, err)
	}
	if newReadme != string(r) && !*update {
		t.Errorf("the README's list of settings is not generated from Settings; run go generate ./internal/config")
	}
}

// TestSettings_DefaultsAreDocumented: setting each variable to the
// default the docs show changes nothing, and every field of Config is
// set by some setting.
func TestSettings_DefaultsAreDocumented(t *testing.T) {
	def := Defaults()
	names := map[string]bool{}
	for _, s := range settings {
		if names[s.Env] {
			t.Errorf("%s is declared twice", s.Env)
		}
		names[s.Env] = true
		if !strings.HasPrefix(s.Env, "LINKAGE_") || s.Help == "" || len(s.Commands) == 0 || s.kind.set == nil {
			t.Errorf("%s: incomplete declaration %+v", s.Env, s)
		}
		if s.Default == "" {
			continue
		}
		c, err := Load(envOf(map[string]string{s.Env: s.Default}))
		if err != nil || !reflect.DeepEqual(c, def) {
			t.Errorf("%s=%s (its default) gives another configuration: %v", s.Env, s.Default, err)
		}
		if s.Shown != "" && !strings.Contains(s.Shown, s.Default) {
			t.Errorf("%s: shown as %s, but its default is %s", s.Env, s.Shown, s.Default)
		}
	}
	// The derived defaults are what the docs say.
	if def.DatabaseURL != "sqlite://data/linkage.db" || def.BaseURL != "http://127.0.0.1:8080" {
		t.Errorf("derived defaults: %q %q", def.DatabaseURL, def.BaseURL)
	}
	// Every field is some setting's: a field set from nothing would have a
	// default no table names.
	var set Config
	for _, s := range settings {
		v, ok := sample[s.Env]
		if !ok {
			v = s.Default
		}
		if err := s.read(&set, v); err != nil {
			t.Fatal(err)
		}
	}
	rv := reflect.ValueOf(set)
	for i := 0; i < rv.NumField(); i++ {
		if rv.Field(i).IsZero() {
			t.Errorf("Config.%s is set by no setting", rv.Type().Field(i).Name)
		}
	}
}

// sample values for the settings whose default is empty.
var sample = map[string]string{
	"LINKAGE_METRICS_ADDR": "127.0.0.1:9090", "LINKAGE_CORS_ORIGINS": "https://a.example", "LINKAGE_SYNONYMS_FILE": "syn.txt",
	"LINKAGE_DATA_KEY": "k", "LINKAGE_DATA_KEYS_OLD": "k0", "LINKAGE_POVERTY_GUIDELINES_FILE": "g.json",
	"LINKAGE_TRUSTED_PROXIES": "10.0.0.0/8", "LINKAGE_DEMO": "true", "LINKAGE_WEBHOOK_ALLOW_PRIVATE": "true",
	"LINKAGE_OIDC_ISSUER": "https://id.example", "LINKAGE_OIDC_CLIENT_ID": "linkage", "LINKAGE_OIDC_CLIENT_SECRET": "s3cret",
}

// "0" is off wherever it is allowed, and refused where a setting cannot
// be off; the table says which.
func TestSettings_Zero(t *testing.T) {
	for _, s := range settings {
		if s.Zero == "" {
			continue
		}
		_, err := Load(envOf(map[string]string{s.Env: "0"}))
		refused := strings.HasPrefix(s.Zero, "refused")
		if refused != (err != nil) {
			t.Errorf("%s=0: %v; the table says %q", s.Env, err, s.Zero)
		}
		if !refused && !strings.HasPrefix(s.Zero, "off") {
			t.Errorf("%s: 0 means %q; 0 is off or refused", s.Env, s.Zero)
		}
	}
	c, err := Load(envOf(map[string]string{"LINKAGE_SEARCH_PAGE_CACHE": "0", "LINKAGE_STALE_AFTER": "0", "LINKAGE_RATE_KEY": "0"}))
	if err != nil || c.PageCache != 0 || c.StaleAfter != 0 || c.RateKey != 0 {
		t.Fatalf("zeros: %+v %v", c, err)
	}
}

// The help lists each setting once, with the default the docs show.
func TestWriteHelp(t *testing.T) {
	var b bytes.Buffer
	WriteHelp(&b, settings)
	for _, s := range settings {
		shown := strings.TrimSuffix(strings.TrimPrefix(plain(s.shownMarkdown()), "("), ")")
		if n := strings.Count(b.String(), "  "+s.Env+" (default "+shown); n != 1 {
			t.Errorf("%s is in the help %d times", s.Env, n)
		}
	}
	if got := For("reindex"); len(got) == 0 || len(got) >= len(settings) {
		t.Errorf("reindex reads %d settings", len(got))
	}
}
