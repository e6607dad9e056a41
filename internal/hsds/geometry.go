package hsds

import (
	"encoding/json"
	"strings"
)

// Ring is a linear ring of [lon, lat] positions, closed or not.
type Ring [][2]float64

// Polygon is an outer ring, then its holes.
type Polygon []Ring

// AreaPolygons reads the polygons of a service area whose extent is
// GeoJSON (a Polygon or MultiPolygon, bare or in a Feature,
// FeatureCollection or GeometryCollection). Other extents, and positions
// out of range, give none: they cannot answer "does this area contain a
// point".
func AreaPolygons(a ServiceArea) []Polygon {
	if !strings.EqualFold(a.ExtentType, "geojson") || a.Extent == "" {
		return nil
	}
	var g map[string]any
	if err := json.Unmarshal([]byte(a.Extent), &g); err != nil {
		return nil
	}
	var out []Polygon
	for _, raw := range polygons(g) {
		m := raw.(map[string]any)
		out = append(out, toPolygons(m["type"].(string), m["coordinates"])...)
	}
	return out
}

// polygons extracts the polygon geometries of a GeoJSON object (a geometry,
// a Feature or a FeatureCollection), with lower-case type names.
func polygons(g map[string]any) []any {
	t, _ := g["type"].(string)
	switch strings.ToLower(t) {
	case "polygon", "multipolygon":
		if !validCoords(g["coordinates"]) {
			return nil
		}
		return []any{map[string]any{"type": strings.ToLower(t), "coordinates": g["coordinates"]}}
	case "feature":
		if geom, ok := g["geometry"].(map[string]any); ok {
			return polygons(geom)
		}
	case "featurecollection":
		var out []any
		fs, _ := g["features"].([]any)
		for _, f := range fs {
			if m, ok := f.(map[string]any); ok {
				out = append(out, polygons(m)...)
			}
		}
		return out
	case "geometrycollection":
		var out []any
		gs, _ := g["geometries"].([]any)
		for _, x := range gs {
			if m, ok := x.(map[string]any); ok {
				out = append(out, polygons(m)...)
			}
		}
		return out
	}
	return nil
}

// validCoords checks that every position is a pair of finite numbers in
// range, so a malformed extent cannot reach the geometry library.
func validCoords(v any) bool {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return false
	}
	if _, isNum := arr[0].(float64); isNum {
		if len(arr) < 2 {
			return false
		}
		lon, ok1 := arr[0].(float64)
		lat, ok2 := arr[1].(float64)
		return ok1 && ok2 && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
	}
	for _, x := range arr {
		if !validCoords(x) {
			return false
		}
	}
	return true
}

// toPolygons converts validated GeoJSON coordinates of a polygon or
// multipolygon.
func toPolygons(typ string, coords any) []Polygon {
	conv := func(v any) Polygon {
		rs, _ := v.([]any)
		var p Polygon
		for _, r := range rs {
			pts, _ := r.([]any)
			var rg Ring
			for _, pt := range pts {
				xy, _ := pt.([]any)
				if len(xy) < 2 {
					continue
				}
				lon, _ := xy[0].(float64)
				lat, _ := xy[1].(float64)
				rg = append(rg, [2]float64{lon, lat})
			}
			if len(rg) >= 3 {
				p = append(p, rg)
			}
		}
		return p
	}
	var out []Polygon
	switch typ {
	case "polygon":
		if p := conv(coords); len(p) > 0 {
			out = append(out, p)
		}
	case "multipolygon":
		ps, _ := coords.([]any)
		for _, x := range ps {
			if p := conv(x); len(p) > 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

// Contains is the even-odd point-in-polygon test over every ring, so holes
// are outside. A point on the boundary may fall either way.
func (p Polygon) Contains(lon, lat float64) bool {
	in := false
	for _, r := range p {
		n := len(r)
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			xi, yi := r[i][0], r[i][1]
			xj, yj := r[j][0], r[j][1]
			if (yi > lat) != (yj > lat) && lon < (xj-xi)*(lat-yi)/(yj-yi)+xi {
				in = !in
			}
		}
	}
	return in
}
