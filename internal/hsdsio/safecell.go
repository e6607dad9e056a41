package hsdsio

import "github.com/linkage-org/linkage/internal/csvsafe"

// unescapeRow takes off the apostrophe PackageWriter puts before a cell a
// spreadsheet would run as a formula (csvsafe), in place, so an exported
// package imports back to the exact text. A cell no escape could have
// written is read as it is.
func unescapeRow(rec []string) {
	for i, s := range rec {
		rec[i] = csvsafe.Unescape(s)
	}
}
