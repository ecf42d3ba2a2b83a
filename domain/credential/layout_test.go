package credential_test

import (
	"errors"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

func layout(rows, cols int, coordinate bool) credential.Layout {
	return credential.Layout{Rows: rows, Cols: cols, CellLength: 4, Charset: credential.CharsetCrockford32, Coordinate: coordinate}
}

func TestLayoutLabel(t *testing.T) {
	tests := []struct {
		name   string
		layout credential.Layout
		index  int
		want   string
	}{
		{"coordinate first", layout(12, 14, true), 0, "A1"},
		{"coordinate end of first row", layout(12, 14, true), 13, "N1"},
		{"coordinate start of second row", layout(12, 14, true), 14, "A2"},
		{"coordinate B7", layout(12, 14, true), 6*14 + 1, "B7"},
		{"coordinate last", layout(12, 14, true), 167, "N12"},
		{"coordinate 99x26 last", layout(99, 26, true), 2573, "Z99"},
		{"numeric first", layout(12, 14, false), 0, "001"},
		{"numeric 031", layout(12, 14, false), 30, "031"},
		{"numeric last", layout(12, 14, false), 167, "168"},
		{"numeric 1x1", layout(1, 1, false), 0, "001"},
		{"999 cells (37x27, beyond policy bounds) stays at 3 digits", layout(37, 27, false), 998, "999"},
		{"numeric 1000 cells first", layout(40, 25, false), 0, "0001"},
		{"numeric 1000 cells last", layout(40, 25, false), 999, "1000"},
		{"numeric 99x26 first", layout(99, 26, false), 0, "0001"},
		{"numeric 99x26 last", layout(99, 26, false), 2573, "2574"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.layout.Label(tt.index); got != tt.want {
				t.Errorf("Label(%d): got %q, want %q", tt.index, got, tt.want)
			}
		})
	}
}

func TestLayoutLabelRoundTrip(t *testing.T) {
	for _, l := range []credential.Layout{
		layout(12, 14, true), layout(12, 14, false), layout(1, 1, true), layout(1, 1, false),
		layout(99, 26, true), layout(99, 26, false), layout(40, 25, false), layout(3, 26, true),
	} {
		seen := map[string]bool{}
		for i := range l.Cells() {
			label := l.Label(i)
			if seen[label] {
				t.Fatalf("%dx%d coordinate=%v: label %q given twice", l.Rows, l.Cols, l.Coordinate, label)
			}
			seen[label] = true
			got, err := l.ParseLabel(label)
			if err != nil || got != i {
				t.Fatalf("%dx%d coordinate=%v: ParseLabel(%q) got %d, %v; want %d, nil",
					l.Rows, l.Cols, l.Coordinate, label, got, err, i)
			}
		}
	}
}

func TestLayoutParseLabel(t *testing.T) {
	const bad = -1
	tests := []struct {
		name   string
		layout credential.Layout
		label  string
		want   int
	}{
		{"A1", layout(12, 14, true), "A1", 0},
		{"lower-case a1", layout(12, 14, true), "a1", 0},
		{"B7", layout(12, 14, true), "B7", 85},
		{"lower-case b7", layout(12, 14, true), "b7", 85},
		{"N12", layout(12, 14, true), "N12", 167},
		{"n12", layout(12, 14, true), "n12", 167},
		{"Z99 on 99x26", layout(99, 26, true), "Z99", 2573},
		{"O1 with 14 cols", layout(12, 14, true), "O1", bad},
		{"o1 with 14 cols", layout(12, 14, true), "o1", bad},
		{"Z1 with 14 cols", layout(12, 14, true), "Z1", bad},
		{"A0", layout(12, 14, true), "A0", bad},
		{"A01", layout(12, 14, true), "A01", bad},
		{"A13 with 12 rows", layout(12, 14, true), "A13", bad},
		{"A100", layout(99, 26, true), "A100", bad},
		{"letter only", layout(12, 14, true), "A", bad},
		{"empty coordinate", layout(12, 14, true), "", bad},
		{"digits first", layout(12, 14, true), "1A", bad},
		{"two letters", layout(12, 14, true), "AA1", bad},
		{"plus sign", layout(12, 14, true), "A+1", bad},
		{"minus sign", layout(12, 14, true), "A-1", bad},
		{"at sign", layout(12, 14, true), "@1", bad},
		{"bracket", layout(12, 14, true), "[1", bad},
		{"leading space", layout(12, 14, true), " A1", bad},
		{"trailing space", layout(12, 14, true), "A1 ", bad},
		{"numeric label on coordinate card", layout(12, 14, true), "001", bad},
		{"001", layout(12, 14, false), "001", 0},
		{"031", layout(12, 14, false), "031", 30},
		{"168", layout(12, 14, false), "168", 167},
		{"000", layout(12, 14, false), "000", bad},
		{"169", layout(12, 14, false), "169", bad},
		{"999", layout(12, 14, false), "999", bad},
		{"two digits", layout(12, 14, false), "01", bad},
		{"one digit", layout(12, 14, false), "1", bad},
		{"four digits on small card", layout(12, 14, false), "0001", bad},
		{"empty numeric", layout(12, 14, false), "", bad},
		{"letters", layout(12, 14, false), "abc", bad},
		{"plus", layout(12, 14, false), "+01", bad},
		{"minus", layout(12, 14, false), "-01", bad},
		{"space", layout(12, 14, false), " 01", bad},
		{"coordinate label on numeric card", layout(12, 14, false), "A1", bad},
		{"0001 of 2574", layout(99, 26, false), "0001", 0},
		{"2574 of 2574", layout(99, 26, false), "2574", 2573},
		{"2575 of 2574", layout(99, 26, false), "2575", bad},
		{"0000 of 2574", layout(99, 26, false), "0000", bad},
		{"three digits on large card", layout(99, 26, false), "001", bad},
		{"five digits on large card", layout(99, 26, false), "00001", bad},
		{"1000 of 1000", layout(40, 25, false), "1000", 999},
		{"1001 of 1000", layout(40, 25, false), "1001", bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.layout.ParseLabel(tt.label)
			if tt.want == bad {
				if !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("ParseLabel(%q): got %d, %v; want an error wrapping ErrInvalid", tt.label, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseLabel(%q): got %d, %v; want %d, nil", tt.label, got, err, tt.want)
			}
		})
	}
}

func TestLayoutValidate(t *testing.T) {
	tests := []struct {
		name      string
		layout    credential.Layout
		wantParam string // empty: valid
	}{
		{"default", defaultLayout(), ""},
		{"smallest", credential.Layout{Rows: 1, Cols: 1, CellLength: 2, Charset: credential.CharsetDigits}, ""},
		{"largest", credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: credential.CharsetCrockford32}, ""},
		{"rows 0", credential.Layout{Rows: 0, Cols: 1, CellLength: 4, Charset: credential.CharsetDigits}, "rows"},
		{"rows 100", credential.Layout{Rows: 100, Cols: 1, CellLength: 4, Charset: credential.CharsetDigits}, "rows"},
		{"cols 0", credential.Layout{Rows: 1, Cols: 0, CellLength: 4, Charset: credential.CharsetDigits}, "cols"},
		{"cols 27", credential.Layout{Rows: 1, Cols: 27, CellLength: 4, Charset: credential.CharsetDigits}, "cols"},
		{"cellLength 1", credential.Layout{Rows: 1, Cols: 1, CellLength: 1, Charset: credential.CharsetDigits}, "cellLength"},
		{"cellLength 13", credential.Layout{Rows: 1, Cols: 1, CellLength: 13, Charset: credential.CharsetDigits}, "cellLength"},
		{"no charset", credential.Layout{Rows: 1, Cols: 1, CellLength: 4}, "cellCharset"},
		{"unknown charset", credential.Layout{Rows: 1, Cols: 1, CellLength: 4, Charset: "hex"}, "cellCharset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.layout.Validate()
			if tt.wantParam == "" {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				return
			}
			var pv *credential.PolicyViolationError
			if !errors.As(err, &pv) || pv.Parameter != tt.wantParam {
				t.Fatalf("got error %v, want a PolicyViolationError on %s", err, tt.wantParam)
			}
			if !errors.Is(err, credential.ErrPolicyViolation) {
				t.Errorf("got error %v, want one wrapping ErrPolicyViolation", err)
			}
		})
	}
}

func TestLayoutCells(t *testing.T) {
	for _, tc := range []struct{ rows, cols, want int }{{12, 14, 168}, {1, 1, 1}, {99, 26, 2574}} {
		if got := layout(tc.rows, tc.cols, false).Cells(); got != tc.want {
			t.Errorf("%dx%d: got %d cells, want %d", tc.rows, tc.cols, got, tc.want)
		}
	}
}
