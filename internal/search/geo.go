package search

import (
	"math"
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
