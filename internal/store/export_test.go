package store

import "database/sql/driver"

// PGArrayValue exposes pgArray's text form to the external tests.
func PGArrayValue(ids []string) (driver.Value, error) { return pgArray(ids).Value() }
