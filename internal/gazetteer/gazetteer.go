// Package gazetteer reads postcode centroids in the US Census ZCTA Gazetteer
// format: tab-separated, a header naming GEOID, INTPTLAT and INTPTLONG
// (other columns are ignored; an optional STATE or USPS column is kept).
package gazetteer

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Centroid is one postcode and its interior point.
type Centroid struct {
	Code  string
	Lat   float64
	Lon   float64
	State string
}

// Read parses a Gazetteer file. Any bad row is an error naming its line, so
// a damaged file loads nothing.
func Read(r io.Reader) ([]Centroid, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("gazetteer: read header: %w", err)
		}
		return nil, fmt.Errorf("gazetteer: the file is empty")
	}
	cols := map[string]int{}
	for i, h := range strings.Split(strings.TrimPrefix(sc.Text(), "\ufeff"), "\t") {
		cols[strings.ToUpper(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"GEOID", "INTPTLAT", "INTPTLONG"} {
		if _, ok := cols[need]; !ok {
			return nil, fmt.Errorf("gazetteer: line 1: the header has no %s column (want tab-separated GEOID, INTPTLAT, INTPTLONG)", need)
		}
	}
	stateCol, hasState := cols["STATE"]
	if !hasState {
		stateCol, hasState = cols["USPS"]
	}
	var out []Centroid
	line := 1
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		get := func(name string) string {
			i := cols[name]
			if i >= len(f) {
				return ""
			}
			return strings.TrimSpace(f[i])
		}
		code := get("GEOID")
		if code == "" || len(code) > 16 {
			return nil, fmt.Errorf("gazetteer: line %d: GEOID %q is not a postcode", line, code)
		}
		lat, err1 := strconv.ParseFloat(get("INTPTLAT"), 64)
		lon, err2 := strconv.ParseFloat(get("INTPTLONG"), 64)
		if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) { // NaN fails too
			return nil, fmt.Errorf("gazetteer: line %d: INTPTLAT/INTPTLONG %q/%q are not a coordinate", line, get("INTPTLAT"), get("INTPTLONG"))
		}
		c := Centroid{Code: strings.ToUpper(code), Lat: lat, Lon: lon}
		if hasState && stateCol < len(f) {
			c.State = strings.ToUpper(strings.TrimSpace(f[stateCol]))
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gazetteer: line %d: %w", line, err)
	}
	return out, nil
}
