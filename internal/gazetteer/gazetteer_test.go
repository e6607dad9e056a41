package gazetteer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/seed"
)

func TestRead(t *testing.T) {
	good := "GEOID\tALAND\tAWATER\tALAND_SQMI\tAWATER_SQMI\tINTPTLAT\tINTPTLONG                                                                                                               \n" +
		"33125\t1\t2\t0.1\t0.2\t25.782\t-80.234   \n\n" +
		"00601\t1\t2\t0.1\t0.2\t18.180555\t-66.749961\n"
	cs, err := Read(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Code != "33125" || cs[0].Lat != 25.782 || cs[0].Lon != -80.234 || cs[1].Code != "00601" {
		t.Fatalf("got %+v", cs)
	}
	bad := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"no longitude column", "GEOID\tINTPTLAT\n33125\t25.7\n", "INTPTLONG"},
		{"latitude out of range", "GEOID\tINTPTLAT\tINTPTLONG\n33125\t95\t-80\n", "line 2"},
		{"not a number", "GEOID\tINTPTLAT\tINTPTLONG\n33125\t25.7\t-80\n33126\tnorth\t-80\n", "line 3"},
		{"no code", "GEOID\tINTPTLAT\tINTPTLONG\n\t25.7\t-80\n", "line 2"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestRead_Demo: the shipped centroids parse and cover the demo region.
func TestRead_Demo(t *testing.T) {
	cs, err := Read(bytes.NewReader(seed.DemoPostcodes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 100 {
		t.Fatalf("%d centroids", len(cs))
	}
	for _, c := range cs {
		if c.Lat < 24 || c.Lat > 27.5 || c.Lon < -82.5 || c.Lon > -79.5 {
			t.Errorf("%s at %v,%v is outside South Florida", c.Code, c.Lat, c.Lon)
		}
	}
}
