package postgres

import (
	"bytes"
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// changedColumns names the columns of a table model whose values differ between the row as it
// was loaded and the row to be written; a column the model maps but the update must not touch
// (keys, creation time) is left to the caller's WHERE and ExcludeColumn.
//
// Writing only what changed is not cosmetic: a card's verifiers (2.7 KB at default settings) live
// out of line in PostgreSQL's TOAST storage, and an UPDATE that sets them, even to the same
// bytes, writes a new TOAST value and its index entries for every challenge and login.
func changedColumns[T any](db bun.IDB, loaded, next *T) []string {
	table := db.Dialect().Tables().Get(reflect.TypeFor[T]())
	a, b := reflect.ValueOf(loaded).Elem(), reflect.ValueOf(next).Elem()
	var cols []string
	for _, f := range table.Fields {
		if !sameValue(f.Value(a).Interface(), f.Value(b).Interface()) {
			cols = append(cols, f.Name)
		}
	}
	return cols
}

// sameValue compares two column values of one Go type; instants compare as instants (the loaded
// row's location is the driver's, the written row's is UTC).
func sameValue(x, y any) bool {
	switch x := x.(type) {
	case []byte:
		return bytes.Equal(x, y.([]byte))
	case time.Time:
		return x.Equal(y.(time.Time))
	case *time.Time:
		y := y.(*time.Time)
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(*y)
	}
	return reflect.DeepEqual(x, y) // pointers compare by what they point to

}
