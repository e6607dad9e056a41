package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/config"
)

// The help lists the settings of config.Settings with their defaults:
// `linkage --help` all of them, each command's --help those it reads, and
// a setting's flag is the command's, with the setting's default.
func TestHelp_Settings(t *testing.T) {
	help := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := run(context.Background(), args, envMap(nil), &out, &out); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, out.String())
		}
		return out.String()
	}
	var want bytes.Buffer
	config.WriteHelp(&want, config.Settings())
	if all := help("--help"); !strings.HasSuffix(all, "Environment:\n"+want.String()) {
		t.Errorf("linkage --help does not end with every setting:\n%s", all)
	}
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"import"}, {"export"}, {"reindex"}, {"seed", "demo"}, {"apikey", "create"}, {"import-postcodes"}, {"eligibility", "extract"}} {
		got := help(append(cmd, "--help")...)
		for _, s := range config.Settings() {
			if reads := slices.Contains(s.Commands, cmd[0]); reads != strings.Contains(got, "  "+s.Env+" (default ") {
				t.Errorf("%s --help: lists %s %v, reads it %v", cmd[0], s.Env, !reads, reads)
			}
		}
	}
	for _, s := range config.Settings() {
		cmd, flag, ok := strings.Cut(s.Flag, " ")
		if !ok {
			continue
		}
		fh := help(cmd, "--help")
		if !strings.Contains(fh, "  -"+strings.TrimPrefix(flag, "--")+" ") || !strings.Contains(fh, "(default "+s.Default+")") {
			t.Errorf("%s --help has no %s defaulting to %s's %s", cmd, flag, s.Env, s.Default)
		}
	}
	if got := help("check-hsds", "--help"); strings.Contains(got, "LINKAGE_") {
		t.Errorf("check-hsds reads no setting, but its help lists some:\n%s", got)
	}
}
