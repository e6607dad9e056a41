package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Languages the console is translated into; the first is the fallback.
var languages = []language.Tag{language.English, language.Spanish}

// catalog holds every UI string in every language (locales/*.json).
type catalog struct {
	bundle *i18n.Bundle
	ids    map[string]bool // the message ids of the English catalogue
}

func loadCatalog() (*catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	cat := &catalog{bundle: b, ids: map[string]bool{}}
	for _, tag := range languages {
		name := "locales/" + tag.String() + ".json"
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("console: %s: %w", name, err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("console: %s: %w", name, err)
		}
		if tag == language.English {
			for _, m := range mf.Messages {
				cat.ids[m.ID] = true
			}
		}
	}
	return cat, nil
}

// lang is the language a request is shown in: the person's choice, else
// the browser's preference, else English.
func (cat *catalog) lang(r *http.Request, chosen string) language.Tag {
	if chosen != "" {
		if t, err := language.Parse(chosen); err == nil {
			for _, l := range languages {
				if base, _ := t.Base(); base.String() == l.String() {
					return l
				}
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	m := language.NewMatcher(languages)
	_, i, conf := m.Match(tags...)
	if conf == language.No {
		return language.English
	}
	return languages[i]
}

// texts is one request's language: translations, numbers, dates.
type texts struct {
	tag  language.Tag
	loc  *i18n.Localizer
	num  *message.Printer
	zone *time.Location
}

func (cat *catalog) texts(tag language.Tag, zone *time.Location) *texts {
	return &texts{tag: tag, loc: i18n.NewLocalizer(cat.bundle, tag.String()), num: message.NewPrinter(tag), zone: zone}
}

// T is the message id with its arguments as name-value pairs; a missing
// message shows its id (a test keeps the catalogues complete).
func (t *texts) T(id string, kv ...any) string {
	data := map[string]any{}
	var count any
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		data[k] = kv[i+1]
		if k == "Count" {
			count = kv[i+1]
		}
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	return s
}

// Num is n with the language's digit grouping.
func (t *texts) Num(n any) string { return t.num.Sprint(n) }

var monthsES = []string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"}
var daysES = []string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"}

// Day is the date of v (a time, or an RFC 3339 or YYYY-MM-DD string) in
// the language: "Tue, Dec 8, 2026" or "mar, 8 dic 2026".
func (t *texts) Day(v any) string {
	tm, ok := asTime(v)
	if !ok {
		return fmt.Sprint(v)
	}
	if s, isStr := v.(string); !isStr || len(s) > 10 {
		tm = tm.In(t.zone)
	}
	if t.tag == language.Spanish {
		return fmt.Sprintf("%s, %d %s %d", daysES[tm.Weekday()], tm.Day(), monthsES[tm.Month()-1], tm.Year())
	}
	return tm.Format("Mon, Jan 2, 2006")
}

// When is the date and time of v in the console's zone, with the zone
// named: "Tue, Dec 8, 2026, 2:05 PM EST" or "mar, 8 dic 2026, 14:05 EST".
func (t *texts) When(v any) string {
	tm, ok := asTime(v)
	if !ok {
		return fmt.Sprint(v)
	}
	tm = tm.In(t.zone)
	clock := tm.Format("3:04 PM MST")
	if t.tag == language.Spanish {
		clock = tm.Format("15:04 MST")
	}
	return t.Day(tm) + ", " + clock
}

// asTime reads a time.Time, *time.Time or RFC 3339 / date string.
func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case *time.Time:
		if x == nil {
			return time.Time{}, false
		}
		return *x, true
	case string:
		x = strings.TrimSpace(x)
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return tm, true
		}
		if tm, err := time.Parse(time.DateOnly, x); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

// ZoneName is the zone times are shown in.
func (t *texts) ZoneName() string { return t.zone.String() }
