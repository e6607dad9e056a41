package hsds

import (
	"strings"

	"github.com/google/uuid"
)

// unitSpace names units by their name, so reports of "beds" share a unit.
var unitSpace = uuid.MustParse("6f1d2c64-5a3e-4b8e-9d0c-2b7f3e1a9c55")

// UnitID is the id of the capacity unit called name.
func UnitID(name string) string {
	return uuid.NewSHA1(unitSpace, []byte(strings.ToLower(strings.TrimSpace(name)))).String()
}
