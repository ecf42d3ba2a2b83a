package postgres

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

func TestChangedColumns(t *testing.T) {
	db := bun.NewDB(&sql.DB{}, pgdialect.New())
	at := time.Date(2026, 11, 27, 1, 2, 3, 4000, time.UTC)
	challenge := int32(7)
	loaded := cardRow{ExtID: "c1", State: "active", Salt: []byte{1, 2}, Verifiers: []byte{3, 4, 5, 6},
		Uses: []byte{0, 0}, Challenge: &challenge, Created: at, LastModified: at, Version: 4}

	t.Run("nothing changed", func(t *testing.T) {
		next := loaded
		next.Verifiers = []byte{3, 4, 5, 6} // equal bytes in another slice
		next.Challenge = new(int32)
		*next.Challenge = 7
		next.Created = at.In(time.FixedZone("elsewhere", 3600)) // the same instant
		if got := changedColumns(db, &loaded, &next); len(got) != 0 {
			t.Errorf("got %v, want no column", got)
		}
	})
	t.Run("a login leaves the verifiers alone", func(t *testing.T) {
		next := loaded
		next.Uses = []byte{1, 0}
		next.Challenge = nil
		last := at.Add(time.Second)
		next.LastSuccessfulLogin = &last
		next.LastModified = last
		next.Version = 5
		want := []string{"last_successful_login", "uses", "challenge", "last_modified", "version"}
		if got := changedColumns(db, &loaded, &next); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("a replace writes the new grid", func(t *testing.T) {
		next := loaded
		next.Salt = []byte{9, 9}
		next.Verifiers = []byte{8, 8, 8, 8}
		next.Version = 5
		want := []string{"salt", "verifiers", "version"}
		if got := changedColumns(db, &loaded, &next); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
