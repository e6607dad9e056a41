package config

import (
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "sqlite://data/linkage.db" || c.LogFormat != "text" {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = Load(envOf(map[string]string{"LINKAGE_DATA_DIR": "/srv/linkage", "LINKAGE_CORS_ORIGINS": "https://a.example, https://b.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:///srv/linkage/linkage.db" || len(c.CORSOrigins) != 2 {
		t.Fatalf("derived: %+v", c)
	}
	_, err = Load(envOf(map[string]string{"LINKAGE_LOG_FORMAT": "xml", "LINKAGE_MAX_BODY_BYTES": "ten"}))
	if err == nil || !strings.Contains(err.Error(), "LINKAGE_LOG_FORMAT") || !strings.Contains(err.Error(), "LINKAGE_MAX_BODY_BYTES") {
		t.Fatalf("want both problems named, got %v", err)
	}
}

func TestLoad_TrustedProxies(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v, want no trusted proxy", c.TrustedProxies, err)
	}
	c, err = Load(envOf(map[string]string{"LINKAGE_TRUSTED_PROXIES": " 10.0.0.0/8, 172.28.0.0/24,fd00::/8 , 192.0.2.7"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 172.28.0.0/24 fd00::/8 192.0.2.7/32" {
		t.Fatalf("parsed %v", got)
	}
	for bad, want := range map[string]string{
		"10.0.0.0/33":      `"10.0.0.0/33" is not a CIDR`,
		"proxy.internal":   `"proxy.internal" is not a CIDR`,
		"10.1.2.3/8":       "write 10.0.0.0/8",
		"10.0.0.0/8,1.2.3": `"1.2.3" is not a CIDR`,
	} {
		_, err := Load(envOf(map[string]string{"LINKAGE_TRUSTED_PROXIES": bad}))
		if err == nil || !strings.Contains(err.Error(), "LINKAGE_TRUSTED_PROXIES") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error naming the setting and %q", bad, err, want)
		}
	}
}

// Imports are bounded by default; the limits are settings, and nonsense is
// refused at start-up rather than read as no limit.
func TestLoad_ImportLimits(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil || c.ImportMaxEntry != 256<<20 || c.ImportMaxTotal != 512<<20 {
		t.Fatalf("defaults: entry %d total %d (%v)", c.ImportMaxEntry, c.ImportMaxTotal, err)
	}
	c, err = Load(envOf(map[string]string{"LINKAGE_IMPORT_MAX_ENTRY_BYTES": "10485760", "LINKAGE_IMPORT_MAX_TOTAL_BYTES": "20971520"}))
	if err != nil || c.ImportMaxEntry != 10<<20 || c.ImportMaxTotal != 20<<20 {
		t.Fatalf("set: entry %d total %d (%v)", c.ImportMaxEntry, c.ImportMaxTotal, err)
	}
	_, err = Load(envOf(map[string]string{"LINKAGE_IMPORT_MAX_ENTRY_BYTES": "0", "LINKAGE_IMPORT_MAX_TOTAL_BYTES": "lots"}))
	if err == nil || !strings.Contains(err.Error(), "LINKAGE_IMPORT_MAX_ENTRY_BYTES") || !strings.Contains(err.Error(), "LINKAGE_IMPORT_MAX_TOTAL_BYTES") {
		t.Fatalf("want both limits named, got %v", err)
	}
}

// The metrics listener is off by default; set, it must not be the public
// address (port 0, a free port each, excepted).
func TestLoad_MetricsAddr(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("default: %q %v, want none", c.MetricsAddr, err)
	}
	c, err = Load(envOf(map[string]string{"LINKAGE_ADDR": "0.0.0.0:8080", "LINKAGE_METRICS_ADDR": "0.0.0.0:9090"}))
	if err != nil || c.MetricsAddr != "0.0.0.0:9090" {
		t.Fatalf("set: %q %v", c.MetricsAddr, err)
	}
	if _, err := Load(envOf(map[string]string{"LINKAGE_ADDR": "0.0.0.0:8080", "LINKAGE_METRICS_ADDR": "0.0.0.0:8080"})); err == nil || !strings.Contains(err.Error(), "LINKAGE_METRICS_ADDR") {
		t.Fatalf("same as LINKAGE_ADDR: %v, want refused", err)
	}
	if _, err := Load(envOf(map[string]string{"LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_METRICS_ADDR": "127.0.0.1:0"})); err != nil {
		t.Fatalf("both port 0: %v", err)
	}
}

// Single sign-on is all three settings or none: a partial set names each
// missing one and never echoes the secret; the issuer must be https but on
// a loopback address.
func TestLoad_OIDC(t *testing.T) {
	all := map[string]string{"LINKAGE_OIDC_ISSUER": "https://id.county.example/realms/staff", "LINKAGE_OIDC_CLIENT_ID": "linkage",
		"LINKAGE_OIDC_CLIENT_SECRET": "do-not-print-me"}
	c, err := Load(envOf(all))
	if err != nil || c.OIDCIssuer != all["LINKAGE_OIDC_ISSUER"] || c.OIDCClientID != "linkage" || c.OIDCClientSecret != "do-not-print-me" {
		t.Fatalf("all three: %q %q %v", c.OIDCIssuer, c.OIDCClientID, err)
	}
	for _, missing := range [][]string{{"LINKAGE_OIDC_CLIENT_SECRET"}, {"LINKAGE_OIDC_ISSUER"}, {"LINKAGE_OIDC_CLIENT_ID", "LINKAGE_OIDC_CLIENT_SECRET"}} {
		env := map[string]string{}
		for k, v := range all {
			env[k] = v
		}
		for _, m := range missing {
			delete(env, m)
		}
		_, err := Load(envOf(env))
		if err == nil || strings.Contains(err.Error(), "do-not-print-me") {
			t.Errorf("without %v: %v, want refused without the secret", missing, err)
			continue
		}
		if got := strings.SplitN(err.Error(), ":", 2)[0]; got != strings.Join(missing, ", ") {
			t.Errorf("without %v: the error names %q (%v)", missing, got, err)
		}
	}
	for issuer, ok := range map[string]bool{"http://127.0.0.1:5556/oidc": true, "http://localhost:8080": true, "http://[::1]:9000/x": true,
		"http://id.county.example": false, "ftp://id.county.example": false, "id.county.example": false, "https://id.example/?tenant=1": false} {
		env := map[string]string{"LINKAGE_OIDC_ISSUER": issuer, "LINKAGE_OIDC_CLIENT_ID": "linkage", "LINKAGE_OIDC_CLIENT_SECRET": "s"}
		if _, err := Load(envOf(env)); (err == nil) != ok {
			t.Errorf("issuer %s: %v, want accepted %v", issuer, err, ok)
		}
	}
}
