package search

import (
	"math"
	"strings"
)

// Point is a WGS84 coordinate.
type Point struct {
	Lat, Lon float64
}

const earthRadiusM = 6371008.8

// DistanceM is the great-circle distance between two points in metres.
func DistanceM(a, b Point) float64 {
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dLat := la2 - la1
	dLon := (b.Lon - a.Lon) * math.Pi / 180
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
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
