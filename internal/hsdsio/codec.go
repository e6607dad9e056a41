package hsdsio

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// codec converts between CSV cells and the scalar fields of one hsds type.
// HSDS names a table's columns exactly as the JSON fields of its object,
// and the hsds types carry those names as JSON tags, so the tags are the
// mapping: no per-table code to keep in step with the spec.
type codec struct {
	byName map[string]cell
}

// cell is one scalar field of a struct.
type cell struct {
	index int
	kind  cellKind
}

type cellKind int

const (
	cellString cellKind = iota
	cellNumber
	cellNumberPtr
	cellTime
	cellTimePtr
)

var (
	float64Type = reflect.TypeFor[float64]()
	float64Ptr  = reflect.TypeFor[*float64]()
	timePtr     = reflect.TypeFor[*time.Time]()
)

func newCodec(t reflect.Type) codec {
	c := codec{byName: map[string]cell{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		var k cellKind
		switch f.Type {
		case reflect.TypeFor[string]():
			k = cellString
		case float64Type:
			k = cellNumber
		case float64Ptr:
			k = cellNumberPtr
		case timeType:
			k = cellTime
		case timePtr:
			k = cellTimePtr
		default:
			continue // nested objects and lists are tables of their own
		}
		c.byName[name] = cell{index: i, kind: k}
	}
	return c
}

// get renders field c of struct v as a CSV cell: absent numbers and times
// are empty, numbers have no exponent and no trailing zeros, times are
// RFC 3339 in UTC.
func (c cell) get(v reflect.Value) string {
	f := v.Field(c.index)
	switch c.kind {
	case cellString:
		return f.String()
	case cellNumber:
		return formatNumber(f.Float())
	case cellNumberPtr:
		if f.IsNil() {
			return ""
		}
		return formatNumber(f.Elem().Float())
	case cellTime:
		t := f.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	case cellTimePtr:
		if f.IsNil() {
			return ""
		}
		return f.Interface().(*time.Time).UTC().Format(time.RFC3339Nano)
	}
	return ""
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// set parses s into field c of the addressable struct v. An empty cell
// leaves a number or time absent. The error is a message for a Problem.
func (c cell) set(v reflect.Value, s string) error {
	f := v.Field(c.index)
	switch c.kind {
	case cellString:
		f.SetString(s)
		return nil
	case cellNumber, cellNumberPtr:
		t := strings.TrimSpace(s)
		if t == "" {
			return nil
		}
		n, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%s is not a number", clip(strconv.Quote(s)))
		}
		if c.kind == cellNumber {
			f.SetFloat(n)
		} else {
			f.Set(reflect.ValueOf(&n))
		}
		return nil
	case cellTime, cellTimePtr:
		t := strings.TrimSpace(s)
		if t == "" {
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return fmt.Errorf("%s is not an RFC 3339 date-time such as 2024-05-01T09:30:00Z", clip(strconv.Quote(s)))
		}
		if c.kind == cellTime {
			f.Set(reflect.ValueOf(tm))
		} else {
			f.Set(reflect.ValueOf(&tm))
		}
		return nil
	}
	return nil
}
