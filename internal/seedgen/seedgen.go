// Package seedgen generates a deterministic synthetic HSDS directory for
// benchmarks and load tests: organizations clustered around real US metros,
// each with locations and services classified by a given taxonomy. The same
// seed, size and taxonomy always give the same bytes. The hand-written demo
// data lives in seed/, not here.
package seedgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Config sizes a synthetic directory.
type Config struct {
	Services int   // total services to generate (exactly this many)
	Seed     int64 // same seed + same Services + same Terms = byte-identical output
}

// anchorUnix is the fixed "now" of generated data (2026-01-01T00:00:00Z):
// last_modified dates are spread over the two years before it. It is a
// constant, not time.Now(), so that output depends on the seed alone.
const anchorUnix = 1767225600

const twoYears = 2 * 365 * 24 * time.Hour

// Generate produces organizations, each fully nested (locations with
// addresses, phones, accessibility, languages, schedules; services with
// everything), calling fn for each organization in order; it holds only one
// organization in memory at a time. terms are the taxonomy to classify
// services with (child terms are used for attributes; parents are those with
// no ParentID); the caller passes the demo taxonomy. Every organization it
// yields passes Normalize() + Validate().
//
// fn owns the organization it is given; Generate does not touch it again.
// An error from fn stops generation and is returned wrapped.
func Generate(cfg Config, terms []hsds.TaxonomyTerm, fn func(*hsds.Organization) error) error {
	if cfg.Services < 0 {
		return fmt.Errorf("seedgen: services must not be negative, got %d", cfg.Services)
	}
	if fn == nil {
		return errors.New("seedgen: no callback given")
	}
	g := newGenerator(cfg.Seed, terms)
	remaining := cfg.Services
	for n := 0; remaining > 0; n++ {
		k := min(g.serviceCount(), remaining)
		remaining -= k
		o := g.organization(k)
		o.Normalize()
		if err := fn(o); err != nil {
			return fmt.Errorf("seedgen: organization %d (%s): %w", n, o.ID, err)
		}
	}
	return nil
}

// generator holds the random stream and the tables derived from the
// taxonomy. Every value drawn comes from r, in a fixed order.
type generator struct {
	r         *rand.Rand
	metroCum  []float64
	groups    []group
	groupCum  []float64
	clock     []string // "00:00".."23:30" in half hours; index = half hours since midnight
	unitCos   [polygonSides]float64
	unitSin   [polygonSides]float64
	langIndex map[string]int
	buf       []byte
}

const polygonSides = 16

func newGenerator(seed int64, terms []hsds.TaxonomyTerm) *generator {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], uint64(seed))
	copy(key[8:], "linkage/seedgen/v1")
	g := &generator{r: rand.New(rand.NewChaCha8(key)), groups: buildGroups(terms), langIndex: map[string]int{}}
	total := 0.0
	for i := range metros {
		total += metros[i].weight()
		g.metroCum = append(g.metroCum, total)
	}
	total = 0
	for _, gr := range g.groups {
		total += gr.Weight
		g.groupCum = append(g.groupCum, total)
	}
	for h := range 48 {
		g.clock = append(g.clock, twoDigits(h/2)+":"+[]string{"00", "30"}[h%2])
	}
	for i := range polygonSides {
		a := 2 * math.Pi * float64(i) / polygonSides
		g.unitCos[i], g.unitSin[i] = math.Cos(a), math.Sin(a)
	}
	for i, l := range languages {
		g.langIndex[l.Code] = i
	}
	return g
}

// id returns a version 4 UUID drawn from the seeded stream.
func (g *generator) id() string {
	var b uuid.UUID
	binary.LittleEndian.PutUint64(b[:8], g.r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b.String()
}

func (g *generator) intn(n int) int            { return g.r.IntN(n) }
func (g *generator) chance(p float64) bool     { return g.r.Float64() < p }
func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// weighted picks an index by cumulative weights.
func (g *generator) weighted(cum []float64) int {
	x := g.r.Float64() * cum[len(cum)-1]
	i := sort.SearchFloat64s(cum, x)
	return min(i, len(cum)-1)
}

// serviceCount draws 1..8 services per organization, mostly 2 to 4.
var serviceCountCum = cumulative(10, 22, 25, 20, 10, 6, 4, 3)

func (g *generator) serviceCount() int { return 1 + g.weighted(serviceCountCum) }

func cumulative(ws ...float64) []float64 {
	out := make([]float64, len(ws))
	t := 0.0
	for i, w := range ws {
		t += w
		out[i] = t
	}
	return out
}

// distinct picks k distinct indexes below n (k is small).
func (g *generator) distinct(k, n int) []int {
	k = min(k, n)
	out := make([]int, 0, k)
	for len(out) < k {
		x := g.intn(n)
		dup := false
		for _, y := range out {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// lastModified is a moment in the two years before the anchor, in whole seconds.
func (g *generator) lastModified() time.Time {
	return time.Unix(anchorUnix-g.r.Int64N(int64(twoYears/time.Second)), 0).UTC()
}

func (g *generator) phone(m *metro) string {
	return g.pick(m.AreaCodes) + "-555-01" + twoDigits(g.intn(100))
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10%10), byte('0' + n%10)})
}

func ptr(v float64) *float64 { return &v }

// round6 keeps coordinates to about 10 cm.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// money formats an amount in dollars: "$25" or "$2.50".
func money(v float64) string {
	if v == math.Trunc(v) {
		return "$" + strconv.FormatFloat(v, 'f', 0, 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', 2, 64)
}

// slug turns a name into a DNS label and URL path segment.
func slug(s string) string {
	b := make([]byte, 0, len(s))
	dash := true
	for _, r := range s {
		c := byte(r)
		switch r {
		case 'á', 'à', 'ä':
			c = 'a'
		case 'é', 'è':
			c = 'e'
		case 'í':
			c = 'i'
		case 'ó', 'ö':
			c = 'o'
		case 'ú', 'ü':
			c = 'u'
		case 'ñ':
			c = 'n'
		default:
			if r >= 0x80 {
				c = ' '
			}
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
			dash = false
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
			dash = false
		case c == '\'':
		default:
			if !dash {
				b = append(b, '-')
				dash = true
			}
		}
	}
	for len(b) > 0 && b[len(b)-1] == '-' {
		b = b[:len(b)-1]
	}
	if len(b) > 60 {
		b = b[:60]
		for len(b) > 0 && b[len(b)-1] == '-' {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}
