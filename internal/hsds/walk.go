package hsds

import (
	"reflect"
	"strconv"
	"strings"
)

// Walk visits v (a pointer to a record) and every record nested in it, depth
// first, each as a pointer with its JSON pointer relative to v ("" for v).
// It is how a problem found on a row, by id, is pointed at in the document
// a client sent.
func Walk(v any, fn func(ptr string, rec any)) {
	walk(reflect.ValueOf(v), "", fn)
}

func walk(v reflect.Value, ptr string, fn func(string, any)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return
		}
		fn(ptr, v.Interface())
		walkFields(v.Elem(), ptr, fn)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		for i := range v.Len() {
			walk(v.Index(i).Addr(), ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

func walkFields(v reflect.Value, ptr string, fn func(string, any)) {
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Slice && f.Kind() != reflect.Pointer {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		walk(f, ptr+"/"+name, fn)
	}
}

// RecordID is the id of a record Walk visited ("" if it has none).
func RecordID(rec any) string {
	v := reflect.ValueOf(rec)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("ID")
	if f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}
