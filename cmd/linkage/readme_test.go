package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// readmeChecks says what each command of the README's shell examples
// prints, as the README says it: key is a piece of text found in that
// command alone. Every command needs a check, and every check a command,
// so the README and this test change together.
var readmeChecks = []readmeCheck{
	// The tour (make run).
	{key: `http://127.0.0.1:8080/ `, shows: []string{`"version":"3.1"`}, want: []string{`"openapi_url":"http`, `"profile":"`}},
	{key: `/services?per_page=5'`, shows: []string{`"total_items":261`}, want: []string{`"size":5`}},
	{key: `/services/b9ff741e-dc45-5486-aa1f-152e4f65351f`, shows: []string{"Adult Primary Care"}, want: []string{`"name":"Adult Primary Care"`, `"organization":{`, `"service_at_locations":[{`}},
	{key: `format=ndjson`, shows: []string{"261"}, match: `^261$`},
	{key: `q=help+with+rent`, shows: []string{"Emergency Rental Assistance"}, match: `^Emergency Rental Assistance$`},
	{key: `open_at=2026-12-05T10:00:00-05:00`, shows: []string{`["Parish Food Pantries",1502]`}},
	{key: `bin/linkage check-hsds`, shows: []string{"hsds: 36 checked, 0 failed"}, match: `^hsds: 36 checked, 0 failed$`},
	{key: `KEY=$(awk '$1=="admin"`, match: `^lnk_`},
	{key: `$KEY" http://127.0.0.1:8080/me`, shows: []string{`"role":"admin"`}, want: []string{`"agency":null`}},
	{key: `$KEY" http://127.0.0.1:8080/agencies`, want: []string{`"name":"Greater Palmetto Food Network"`, `"name":"Bayview Behavioral Health"`,
		`"name":"Palmetto Family Navigators"`}, shows: []string{`"tz":"America/New_York"`}, not: []string{`"tz":""`}},
	{key: `$KEY" http://127.0.0.1:8080/audit`, shows: []string{`"client_addr":"demo"`}, want: []string{`"total_items":14`, `"action":"set_password"`, `"role":"operator"`, `"resource_type":"agency"`, `"resource_type":"api_key"`, `"resource_type":"person"`}},
	// Referrals.
	{key: `CW=$(awk`, match: `^lnk_`},
	{key: `AG=$(awk`, match: `^lnk_`},
	{key: `H='Content-Type: application/json'`, match: `^Content-Type: application/json$`},
	{key: `CASE=$(curl`, match: uuidRe},
	{key: `IDEM=$(openssl rand -hex 16)`, match: `^[0-9a-f]{32}$`},
	{key: `REF=$(curl`, match: uuidRe},
	{key: `direction=received&status=sent`, shows: []string{`"status":"sent"`}, want: []string{`"total_items":1`, `"service_name":"SNAP Application Help"`}},
	{key: `{"to":"accepted"}`, shows: []string{`"status":"accepted"`}},
	{key: `{"to":"completed","outcome":"service_provided"}`, want: []string{`"status":"completed"`, `"outcome":"service_provided"`}},
	{key: `/followup -d`, shows: []string{`"need_met":"yes"`}},
	{key: `$REF/events`, want: []string{`"total_items":4`, `"kind":"created"`, `"kind":"followup"`}},
	{key: `reports/referrals?group_by=service&format=csv`, shows: []string{"SNAP Application Help,1,1,1"}, want: []string{"service,name,sent,", "\ndaab84cb-6e24-5dc0-992d-04099c16c817,SNAP Application Help,1,1,1,0,1,"}},
	// A Monday morning.
	{key: `EVICT=$(date`, match: `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`},
	{key: `LUCIA=$(curl`, match: uuidRe},
	{key: `/tasks?case_id=$LUCIA"`, shows: []string{`"kind":"risk"`}, want: []string{`: act before it"`, `"client_name":"Lucía Ramos"`, `"priority":"urgent"`}},
	{key: `"ayuda con la renta"`, shows: []string{"Emergency Rental Assistance"}, want: []string{`"accepts_referrals":false`, `"profile_sources":{"case":[`}},
	{key: `RENT=$(curl`, match: uuidRe},
	{key: `LAWYER=$(curl`, match: uuidRe},
	{key: `FOOD=$(curl`, match: uuidRe},
	{key: `/tasks?priority=urgent"`, want: []string{`"total_items":3`, `"title":"Eviction on `}},
	{key: `direction=received&sort=priority`, shows: []string{`"client_display_name":"Lucía Ramos"`}, want: []string{`"name":"Palmetto Family Navigators"`, `"contact_mode":"share_contact"`}},
	{key: `$FOOD/transitions -d '{"to": "accepted"`, shows: []string{`"status":"accepted"`}},
	{key: `$FOOD/transitions -d '{"to": "completed"`, want: []string{`"status":"completed"`}},
	{key: `$FOOD/followup`, shows: []string{`"need_met":"yes"`}},
	{key: `$RENT/transitions -d '{"to": "accepted"`, shows: []string{`"in_network":false`}, want: []string{`"status":"accepted"`, `"receiver_agency_id":null`}},
	{key: `$RENT/transitions -d '{"to": "completed"`, want: []string{`"status":"completed"`}},
	{key: `$RENT/followup`, shows: []string{`"need_met":"yes"`}},
	{key: `$LUCIA/notes`, shows: []string{`"author_name":"Dana Reyes"`}, want: []string{`"shared":true`}},
	{key: `TASK=$(curl`, match: uuidRe},
	{key: `/tasks/$TASK`, want: []string{`"kind":"risk"`}, not: []string{`"done_at":null`}},
	{key: `cases?search=lucia+ramos`, shows: []string{`"total_items":1`}},
	{key: `8080/caseload`, shows: []string{`"client_name":"Lucía Ramos"`}, want: []string{`"next_due":{`}},
	{key: `/cases/$LUCIA"`, want: []string{`"domain":"housing","status":"met"`, `"domain":"food","status":"met"`, `"domain":"legal","status":"in_progress"`, `"domain":"transportation","status":"identified"`}},
	{key: `reports/barriers?format=csv`, want: []string{"transportation in palmetto"}},
	// Eligibility: what it prints is the text block after it.
	{key: `{"q": "diabetes"`},
	// Running on PostgreSQL.
	{key: `createdb -h`, quiet: true},
	{key: `export LINKAGE_DATABASE_URL=`, match: `^postgres://`},
	{key: `openssl rand -base64 32 > linkage-data-key.txt`, quiet: true},
	{key: `export LINKAGE_DATA_KEY=`, match: `^[A-Za-z0-9+/]{43}=$`},
	{key: `bin/linkage migrate`, shows: []string{"database is migrated"}, want: []string{"dialect=postgres"}},
	{key: `bin/linkage seed demo`, want: []string{"demo data loaded", "services=261"}},
	{key: `ADMIN=$(bin/linkage apikey create --role admin`, match: `^lnk_`},
	{key: `bin/linkage serve > linkage.log`, quiet: true},
	{key: `/readyz`, shows: []string{`{"status":"ready"}`}, match: `^\{"status":"ready"\}$`},
	{key: `AGENCY=$(curl`, match: uuidRe},
	{key: `AG=$(bin/linkage apikey create --agency "$AGENCY" --role agency`, match: `^lnk_`},
	{key: `$AG" http://127.0.0.1:8080/me`, shows: []string{`"role":"agency"`}, want: []string{`"name":"Greater Palmetto Food Network"`, `"organization_ids":["2668a8c7-583f-5548-aa78-98c6a7f84363"]`}},
	{key: `NAV=$(curl`, match: uuidRe},
	{key: `CW=$(bin/linkage apikey create --agency "$NAV" --role caseworker`, match: `^lnk_`},
	{key: `$CW" http://127.0.0.1:8080/cases`, want: []string{`"total_items":0`, `"contents":[]`}},
	{key: `kill %1`, quiet: true},
}

const uuidRe = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

type readmeCheck struct {
	key   string
	shows []string // each in the command's comment in the README, and in the output
	want  []string // each in the output
	not   []string // none in the output
	match string   // a regexp the output (trimmed), or an assigned variable, matches
	quiet bool     // prints nothing (a file, a database, a background job)
}

// The README's address and database, which each run replaces by its own.
const (
	readmeBase    = "http://127.0.0.1:8080"
	readmePG      = "postgres://postgres@127.0.0.1:5432/linkage?sslmode=disable"
	readmeCreate  = "createdb -h 127.0.0.1 -U postgres linkage"
	readmePGTitle = "Running on PostgreSQL"
	readmeSkip    = "<!-- README test: not run"
)

// readmeFiles hold the examples TestREADME runs, in this order: the README
// (the tour), then the API and security manuals it links to.
var readmeFiles = []string{"README.md", "docs/api.md", "docs/security.md"}

// A fenced shell block of the README or a manual.
type readmeBlock struct {
	file    string // of readmeFiles
	line    int    // of the opening fence
	section string // the ## heading it is under
	text    string
	skip    bool   // marked not run (an HTML comment just above)
	prints  string // a text block right after it: what its last command prints
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	var out []readmeBlock
	for _, f := range readmeFiles {
		out = append(out, fileBlocks(t, f)...)
	}
	return out
}

// fileBlocks are the fenced blocks of one file of readmeFiles.
func fileBlocks(t *testing.T, file string) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", file))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []readmeBlock
	section, prev := "", ""
	afterShell := false // only prose since the last shell block
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if h, ok := strings.CutPrefix(l, "## "); ok {
			section, afterShell = strings.TrimSpace(h), false
		}
		// A fence may be indented (a block inside a list item): its
		// indent is taken off every line of the block.
		fence := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(fence)]
		if !strings.HasPrefix(fence, "```") {
			if strings.TrimSpace(l) != "" {
				prev = strings.TrimSpace(l)
			}
			continue
		}
		lang := strings.TrimSpace(strings.TrimPrefix(fence, "```"))
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		text := strings.Join(body, "\n")
		switch lang {
		case "sh", "bash", "shell":
			out = append(out, readmeBlock{file: file, line: start + 1, section: section, text: text, skip: strings.HasPrefix(prev, readmeSkip)})
			afterShell = true
		case "text":
			if afterShell {
				out[len(out)-1].prints = text
			}
			afterShell = false
		default:
			afterShell = false
		}
		prev = ""
	}
	return out
}

// A command of a block: bash decides where it ends (open quotes, a
// trailing pipe or backslash carry it on).
type readmeCmd struct {
	line  int
	text  string
	check readmeCheck
	block *readmeBlock
	last  bool // the block's last command
}

func splitCommands(t *testing.T, b *readmeBlock) []readmeCmd {
	t.Helper()
	var out []readmeCmd
	var cur []string
	first := 0
	for i, l := range strings.Split(b.text, "\n") {
		if len(cur) == 0 && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		if len(cur) == 0 {
			first = b.line + 1 + i
		}
		cur = append(cur, l)
		if strings.HasSuffix(l, `\`) {
			continue
		}
		chunk := strings.Join(cur, "\n")
		if exec.Command("bash", "-n", "-c", chunk).Run() != nil {
			continue
		}
		out = append(out, readmeCmd{line: first, text: chunk, block: b})
		cur = nil
	}
	if len(cur) > 0 {
		t.Fatalf("%s:%d: the command never ends:\n%s", b.file, first, strings.Join(cur, "\n"))
	}
	if len(out) > 0 {
		out[len(out)-1].last = true
	}
	return out
}

// TestREADME runs every shell example of the README as written, with the
// address (and for PostgreSQL the database) replaced by the run's own: the
// tour against a demo server started as `make run` starts it, the
// PostgreSQL section against a database it creates with the README's own
// createdb. Each command must exit 0 and print what the README says. It
// needs bash and curl, and jq for the examples that use it (without jq
// those are skipped, loudly). Blocks that cannot run here say so in an
// HTML comment (readmeSkip) just above them.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers; not in -short")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			loud(t, "TestREADME SKIPPED: %s is not installed; the README's examples need it", tool)
			t.Skip(tool + " is not installed")
		}
	}
	_, jqErr := exec.LookPath("jq")
	blocks := readmeBlocks(t)
	var tour, pg []readmeCmd
	for i := range blocks {
		b := &blocks[i]
		if b.skip {
			continue
		}
		for _, c := range splitCommands(t, b) {
			if b.section == readmePGTitle {
				pg = append(pg, c)
			} else {
				tour = append(tour, c)
			}
		}
	}
	// Every command has one check and every check one command.
	used := map[string]int{}
	for _, cmds := range [][]readmeCmd{tour, pg} {
		for i := range cmds {
			var found []readmeCheck
			for _, ch := range readmeChecks {
				if strings.Contains(cmds[i].text, ch.key) {
					found = append(found, ch)
					used[ch.key]++
				}
			}
			if len(found) != 1 {
				t.Fatalf("%s:%d: %d checks in readmeChecks match this command (want one; add or narrow a key):\n%s", cmds[i].block.file, cmds[i].line, len(found), cmds[i].text)
			}
			cmds[i].check = found[0]
			if saysNothing(found[0]) && (!cmds[i].last || cmds[i].block.prints == "") {
				t.Fatalf("%s:%d: the check says nothing about what this command prints, and no text block after it does", cmds[i].block.file, cmds[i].line)
			}
		}
	}
	for _, ch := range readmeChecks {
		if used[ch.key] == 0 {
			t.Errorf("readmeChecks: no README command contains %q", ch.key)
		}
	}
	if len(tour) < 20 || len(pg) < 10 {
		t.Fatalf("only %d tour and %d PostgreSQL commands found in the README", len(tour), len(pg))
	}
	if t.Failed() {
		return
	}
	tour, pg = withJQ(t, jqErr, tour), withJQ(t, jqErr, pg)

	t.Run("tour", func(t *testing.T) {
		dir := t.TempDir()
		base := startDemo(t, filepath.Join(dir, "data"), nil)
		runReadme(t, dir, nil, map[string]string{readmeBase: base}, tour)
	})
	t.Run("postgres", func(t *testing.T) {
		if _, err := exec.LookPath("createdb"); err != nil {
			loud(t, "TestREADME/postgres SKIPPED: createdb (PostgreSQL's client programs) is not installed")
			t.Skip("createdb is not installed")
		}
		// storetest skips (or under CI=true fails) without a server; the
		// README's createdb then makes a database of its own beside this one.
		u, err := url.Parse(storetest.URL(t, store.Postgres))
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(u.Path, "/") + "_readme"
		t.Cleanup(func() {
			db, err := sql.Open("pgx", storetest.PostgresURL())
			if err == nil {
				_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
				db.Close()
			}
		})
		u.Path = "/" + name
		port := freePort(t)
		create := fmt.Sprintf("createdb -h %s -p %s -U %s %s", u.Hostname(), orDefault(u.Port(), "5432"), orDefault(u.User.Username(), "postgres"), name)
		env := []string{"LINKAGE_ADDR=127.0.0.1:" + port}
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
		runReadme(t, t.TempDir(), env, map[string]string{readmeBase: "http://127.0.0.1:" + port, readmePG: u.String(), readmeCreate: create}, pg)
	})
}

// saysNothing: a check of nothing but that the command succeeds.
func saysNothing(c readmeCheck) bool {
	return len(c.shows) == 0 && len(c.want) == 0 && c.match == "" && !c.quiet
}

// withJQ is cmds, or without jq those that neither use it, nor follow one
// that does in its block, nor read a variable that a skipped one sets.
func withJQ(t *testing.T, jqErr error, cmds []readmeCmd) []readmeCmd {
	if jqErr == nil {
		return cmds
	}
	var out []readmeCmd
	var lines []string
	unset := map[string]bool{}
	var skipped *readmeBlock
	for _, c := range cmds {
		skip := c.block == skipped || regexp.MustCompile(`\bjq\b`).MatchString(c.text)
		for v := range unset {
			skip = skip || regexp.MustCompile(`\$\{?`+v+`\b`).MatchString(c.text)
		}
		if !skip {
			out = append(out, c)
			continue
		}
		skipped = c.block
		lines = append(lines, strconv.Itoa(c.line))
		if m := assignment.FindStringSubmatch(c.text); m != nil {
			unset[m[1]] = true
		}
	}
	if len(lines) > 0 {
		loud(t, "TestREADME: jq is not installed: the README examples at lines %s are SKIPPED (install jq to run them)", strings.Join(lines, ", "))
	}
	return out
}

func loud(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(os.Stderr, "\n*** %s ***\n\n", msg)
	t.Log(msg)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

var assignment = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=`)

// runReadme runs cmds in one bash, in dir (with bin/linkage, this test
// binary acting as the command), after replacing each key of subst in
// them, and checks each.
func runReadme(t *testing.T, dir string, env []string, subst map[string]string, cmds []readmeCmd) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "bin", "linkage")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	all := ""
	for _, c := range cmds {
		all += c.text + "\n"
	}
	for from := range subst {
		if !strings.Contains(all, from) {
			t.Fatalf("the README's examples no longer contain %q, which the test replaces by its own; update TestREADME", from)
		}
	}
	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, c := range cmds {
		text := c.text
		for from, to := range subst {
			text = strings.ReplaceAll(text, from, to)
		}
		f := filepath.Join(out, strconv.Itoa(i))
		fmt.Fprintf(&script, "{ %s\n} >%q.out 2>%q.err; echo $? >%q.rc\n", text, f, f, f)
		if m := assignment.FindStringSubmatch(text); m != nil {
			fmt.Fprintf(&script, "printf '%%s' \"$%s\" >%q.var\n", m[1], f)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(readmeEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, err := os.Create(filepath.Join(out, "bash.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A background job the script did not stop (its kill failed) goes with it.
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	runErr := cmd.Wait()
	for i, c := range cmds {
		f := filepath.Join(out, strconv.Itoa(i))
		rc, _ := os.ReadFile(f + ".rc")
		stdout, _ := os.ReadFile(f + ".out")
		stderr, _ := os.ReadFile(f + ".err")
		where := fmt.Sprintf("%s:%d: %s", c.block.file, c.line, firstLine(c.text))
		if strings.TrimSpace(string(rc)) != "0" {
			t.Errorf("%s\nexit status %q (the script: %v)\nstdout: %s\nstderr: %s", where, strings.TrimSpace(string(rc)), runErr, clip(stdout), clip(stderr))
			continue
		}
		got := string(stdout) + string(stderr)
		if v, err := os.ReadFile(f + ".var"); err == nil {
			got = string(v)
		}
		if err := c.verify(got, strings.TrimSpace(string(stdout))); err != nil {
			t.Errorf("%s\n%v\nstdout: %s\nstderr: %s", where, err, clip(stdout), clip(stderr))
		}
	}
}

func (c readmeCmd) verify(got, stdout string) error {
	ch := c.check
	if strings.TrimSpace(got) == "" && !ch.quiet {
		return fmt.Errorf("printed nothing")
	}
	for _, w := range ch.shows {
		if !strings.Contains(c.text, w) {
			return fmt.Errorf("readmeChecks: the README no longer says it shows %q", w)
		}
		if !strings.Contains(got, w) {
			return fmt.Errorf("does not print %q, as the README says", w)
		}
	}
	for _, w := range ch.want {
		if !strings.Contains(got, w) {
			return fmt.Errorf("does not print %q", w)
		}
	}
	for _, n := range ch.not {
		if strings.Contains(got, n) {
			return fmt.Errorf("prints %q", n)
		}
	}
	if ch.match != "" && !regexp.MustCompile(ch.match).MatchString(strings.TrimSpace(got)) {
		return fmt.Errorf("%q does not match %s", clip([]byte(got)), ch.match)
	}
	if c.last && c.block.prints != "" {
		for _, l := range strings.Split(c.block.prints, "\n") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(strings.Split(stdout, "\n"), l) {
				return fmt.Errorf("the README says it prints the line %s", l)
			}
		}
	}
	return nil
}

// readmeEnv is this process's environment without Linkage's settings (the
// README's commands see the defaults, as on a fresh machine), running
// bin/linkage as the command itself.
func readmeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LINKAGE_") && !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "LINKAGE_TEST_AS_MAIN=1")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "..."
	}
	return string(b)
}

// TestREADME_Commands: every command main dispatches is in the usage text
// and in the README's CLI table.
func TestREADME_Commands(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, m := range regexp.MustCompile(`(?m)^\tcase ((?:"[a-z-]+"(?:, )?)+):`).FindAllStringSubmatch(string(src), -1) {
		for _, q := range regexp.MustCompile(`"([a-z-]+)"`).FindAllStringSubmatch(m[1], -1) {
			cmds = append(cmds, q[1])
		}
	}
	if len(cmds) < 12 {
		t.Fatalf("found only %v in main.go", cmds)
	}
	for _, c := range cmds {
		if !regexp.MustCompile(`(?m)^  (\S+, )?` + regexp.QuoteMeta(c) + `\b`).MatchString(usage) {
			t.Errorf("%s is not in the usage text", c)
		}
		if !regexp.MustCompile("(?m)^\\| (`[^`]*`, )?`" + regexp.QuoteMeta(c) + "[ `]").Match(readme) {
			t.Errorf("%s is not in the README's CLI table", c)
		}
	}
}
