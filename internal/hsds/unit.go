package hsds

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// unitSpace names units by their name, so reports of "beds" share a unit.
var unitSpace = uuid.MustParse("6f1d2c64-5a3e-4b8e-9d0c-2b7f3e1a9c55")

// UnitID is the id of the capacity unit called name. Names that read the
// same are one unit: compatibility forms (full-width letters), invisible
// format characters (zero-width spaces), case and runs of spaces do not
// make another unit that looks like this one.
func UnitID(name string) string {
	return uuid.NewSHA1(unitSpace, []byte(unitKey(name))).String()
}

func unitKey(name string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFKC.String(name))
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
