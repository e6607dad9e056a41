package config

import (
	"fmt"
	"io"
	"strings"
)

// The README's short list sits between these lines, so the test can find
// and regenerate it.
const (
	ReadmeBegin = "<!-- settings: generated from internal/config/settings.go by go generate ./internal/config -->"
	ReadmeEnd   = "<!-- end of settings -->"
)

const docIntro = `# Configuration

<!-- Generated from internal/config/settings.go by go generate ./internal/config; edit the table there. -->

Every setting is an environment variable; the defaults make ` + "`make run`" + ` work on a fresh machine.
Unknown ` + "`LINKAGE_*`" + ` variables are ignored. ` + "`linkage --help`" + ` prints this list, and each
command's ` + "`--help`" + ` the settings that command reads.

- An empty variable is an unset one: it takes the default.
- ` + "`0`" + `, where a number can be ` + "`0`" + `, means **off**, and the column *0* says what off is. The same
  holds for a command's flag and for the fields of ` + "`httpapi.Deps`" + `. A setting that cannot be off
  refuses ` + "`0`" + `: the command does not start, and says which setting and what it wants.
- A value of the wrong kind (the column *Values*) stops the start the same way; every such
  problem is reported at once.

`

// Markdown is docs/configuration.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(docIntro)
	b.WriteString("| Variable | Default | Values | 0 | Meaning | Read by |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range settings {
		name := code(s.Env)
		if s.Flag != "" {
			name += "<br>flag " + code("linkage "+s.Flag)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, cell(s.shownMarkdown()), cell(s.Type()), cell(s.Zero), cell(s.Help), cell(readBy(s.Commands)))
	}
	return b.String()
}

// ReadmeTable is the README's list of the settings a newcomer sets first.
func ReadmeTable() string {
	var b strings.Builder
	b.WriteString(ReadmeBegin + "\n\n| Variable | Default | Meaning |\n| --- | --- | --- |\n")
	for _, s := range settings {
		if s.Newcomer {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", code(s.Env), cell(s.shownMarkdown()), cell(s.Help))
		}
	}
	b.WriteString("\n" + ReadmeEnd + "\n")
	return b.String()
}

// WriteHelp lists settings for a terminal, as `linkage --help` and each
// command's --help show them.
func WriteHelp(w io.Writer, settings []Setting) {
	for _, s := range settings {
		shown := plain(s.shownMarkdown())
		if strings.HasPrefix(shown, "(") && strings.HasSuffix(shown, ")") {
			shown = shown[1 : len(shown)-1]
		}
		def := "default " + shown
		if s.Zero != "" {
			def += "; 0: " + s.Zero
		}
		if s.Flag != "" {
			def += "; flag: linkage " + s.Flag
		}
		fmt.Fprintf(w, "  %s (%s)\n    \t%s\n", s.Env, def, plain(s.Help))
	}
}

// shownMarkdown is the default as the docs write it.
func (s Setting) shownMarkdown() string {
	switch {
	case s.Shown != "":
		return s.Shown
	case s.Default != "":
		return code(s.Default)
	}
	return "(none)"
}

func readBy(cmds []string) string {
	if len(cmds) == len(dbCommands) {
		return "every command but `check-hsds` and `version`"
	}
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = code(c)
	}
	return strings.Join(out, ", ")
}

func code(s string) string { return "`" + s + "`" }

// cell keeps a table cell on its row.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// plain is markdown text for a terminal.
func plain(s string) string { return strings.ReplaceAll(s, "`", "") }
