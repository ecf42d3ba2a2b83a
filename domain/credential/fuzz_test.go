package credential_test

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// Fuzz targets of the domain's parsers (issue 5, "Abuse and bad input"). The committed corpora under
// testdata/fuzz/<target>/ run with every plain `go test`; run one longer with, for example,
//
//	go test -run '^$' -fuzz '^FuzzParseOTPString$' -fuzztime 10m ./domain/credential/

// canonicalOTPHead matches the rows|cols| prefix of an otp string written by OTPString.String: no
// sign, no leading zero.
var canonicalOTPHead = regexp.MustCompile(`^[1-9][0-9]*\|[1-9][0-9]*\|`)

// FuzzParseOTPString: ParseOTPString never panics, errors wrap ErrInvalid, a parsed value is
// well-formed, and an input of canonical form re-encodes to itself.
func FuzzParseOTPString(f *testing.F) {
	f.Add("1|1|0|AB")
	f.Add("1|1|9|AB|001")
	f.Add("2|2|0109|AAAABBBBCCCCDDDD|B2")
	f.Add("12|14|" + strings.Repeat("0", 168) + "|" + strings.Repeat("*", 168*4))
	f.Add("01|1|0|AB")
	f.Add("+1|1|0|AB")
	f.Add("1|1|0|AB|")
	f.Add("1|1|0|")
	f.Add("0|0||")
	f.Add("99|26|" + strings.Repeat("1", 2574) + "|" + strings.Repeat("Z", 2574))
	f.Add("-1|-1|0|A")
	f.Add("1|1|x|A")
	f.Add("2|1|00|ABC")
	f.Add("1|1|0|A|B|C")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := credential.ParseOTPString(s)
		if err != nil {
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("ParseOTPString(%q): got error %v, want one wrapping ErrInvalid", s, err)
			}
			if o.Rows != 0 || o.Cells != nil || o.Uses != nil {
				t.Fatalf("ParseOTPString(%q): got %+v beside an error, want the zero value", s, o)
			}
			return
		}
		checkOTPString(t, s, o)
		again := o.String()
		if canonicalOTPHead.MatchString(s) && again != s {
			t.Fatalf("ParseOTPString(%q).String(): got %q, want the canonical input back", s, again)
		}
		// Whatever the spelling of rows and cols, the canonical form denotes the same value.
		o2, err := credential.ParseOTPString(again)
		if err != nil || !reflect.DeepEqual(o, o2) {
			t.Fatalf("re-parse of %q: got %+v, %v; want %+v", again, o2, err, o)
		}
	})
}

// checkOTPString fails unless o is a well-formed parse of s.
func checkOTPString(t *testing.T, s string, o credential.OTPString) {
	t.Helper()
	n := o.Rows * o.Cols
	switch {
	case o.Rows < 1 || o.Rows > 99 || o.Cols < 1 || o.Cols > 26:
		t.Fatalf("ParseOTPString(%q): got %dx%d, want within 1-99 x 1-26", s, o.Rows, o.Cols)
	case len(o.Uses) != n || len(o.Cells) != n:
		t.Fatalf("ParseOTPString(%q): got %d counters and %d cells, want %d of each", s, len(o.Uses), len(o.Cells), n)
	case strings.Contains(o.Challenge, "|"):
		t.Fatalf("ParseOTPString(%q): got challenge %q, want no |", s, o.Challenge)
	}
	width := len(o.Cells[0])
	for i := range n {
		if o.Uses[i] < 0 || o.Uses[i] > 9 {
			t.Fatalf("ParseOTPString(%q): counter %d is %d, want 0-9", s, i, o.Uses[i])
		}
		if len(o.Cells[i]) != width || width == 0 || strings.Contains(o.Cells[i], "|") {
			t.Fatalf("ParseOTPString(%q): cell %d is %q, want %d bytes without |", s, i, o.Cells[i], width)
		}
	}
}

// FuzzOTPStringRoundTrip: String() of any well-formed OTPString parses back to the same value
// (counters outside 0-9 saturate).
func FuzzOTPStringRoundTrip(f *testing.F) {
	f.Add(uint8(11), uint8(13), uint8(3), []byte("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), []byte{0, 1, 9, 10, 255}, "B7")
	f.Add(uint8(0), uint8(0), uint8(0), []byte("*"), []byte{}, "")
	f.Add(uint8(98), uint8(25), uint8(11), []byte("é€x"), []byte{7}, "0001")
	f.Add(uint8(3), uint8(3), uint8(1), []byte("|||ab"), []byte{200, 3}, "a|b")
	f.Fuzz(func(t *testing.T, rows, cols, width uint8, alphabet, uses []byte, challenge string) {
		o := credential.OTPString{Rows: 1 + int(rows)%99, Cols: 1 + int(cols)%26,
			Challenge: strings.ReplaceAll(challenge, "|", "")}
		w := 1 + int(width)%12
		// Bytes other than | only: a cell may hold anything but the separator.
		alphabet = slices.DeleteFunc(slices.Clone(alphabet), func(b byte) bool { return b == '|' })
		if len(alphabet) == 0 {
			alphabet = []byte{'*'}
		}
		n := o.Rows * o.Cols
		o.Uses, o.Cells = make([]int, n), make([]string, n)
		for i := range n {
			if len(uses) > 0 {
				o.Uses[i] = int(int8(uses[i%len(uses)]))
			}
			cell := make([]byte, w)
			for j := range cell {
				cell[j] = alphabet[(i*w+j)%len(alphabet)]
			}
			o.Cells[i] = string(cell)
		}
		s := o.String()
		got, err := credential.ParseOTPString(s)
		if err != nil {
			t.Fatalf("ParseOTPString(%q): %v, want it to parse", s, err)
		}
		want := o
		want.Uses = make([]int, n)
		for i, u := range o.Uses {
			want.Uses[i] = min(max(u, 0), 9)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseOTPString(String()): got %+v, want %+v", got, want)
		}
		if again := got.String(); again != s {
			t.Fatalf("String() after a round trip: got %q, want %q", again, s)
		}
	})
}

// fuzzLayout turns fuzz bytes into a layout within the policy bounds (1-99 rows, 1-26 columns).
func fuzzLayout(rows, cols uint8, coordinate bool) credential.Layout {
	return credential.Layout{Rows: 1 + int(rows)%99, Cols: 1 + int(cols)%26, CellLength: 4,
		Charset: credential.CharsetCrockford32, Coordinate: coordinate}
}

// canonicalLabel is the label as Label writes it: the column letter upper case.
func canonicalLabel(l credential.Layout, label string) string {
	if l.Coordinate && label != "" && label[0] >= 'a' && label[0] <= 'z' {
		return string(label[0]-'a'+'A') + label[1:]
	}
	return label
}

// FuzzLayoutLabel: for random layouts in both formats, Label and ParseLabel are inverse; ParseLabel
// of any string never panics, errors wrap ErrInvalid, and a label it accepts names a cell of the
// card whose canonical label is the input (up to the case of the column letter).
func FuzzLayoutLabel(f *testing.F) {
	f.Add(uint8(11), uint8(13), true, uint16(85), "B7")
	f.Add(uint8(11), uint8(13), false, uint16(30), "031")
	f.Add(uint8(98), uint8(25), false, uint16(2573), "2574")
	f.Add(uint8(98), uint8(25), true, uint16(2573), "z99")
	f.Add(uint8(0), uint8(0), true, uint16(0), "A01")
	f.Add(uint8(0), uint8(0), false, uint16(0), "0001")
	f.Add(uint8(9), uint8(2), true, uint16(4), "C+1")
	f.Add(uint8(9), uint8(2), true, uint16(4), "C-1")
	f.Add(uint8(9), uint8(2), true, uint16(4), "\xc3\xa91")
	f.Add(uint8(38), uint8(25), false, uint16(999), "1000")
	f.Add(uint8(38), uint8(25), false, uint16(0), "000")
	f.Fuzz(func(t *testing.T, rows, cols uint8, coordinate bool, index uint16, label string) {
		l := fuzzLayout(rows, cols, coordinate)
		i := int(index) % l.Cells()
		want := l.Label(i)
		if got, err := l.ParseLabel(want); err != nil || got != i {
			t.Fatalf("%dx%d coordinate=%v: ParseLabel(Label(%d) = %q): got %d, %v; want %d, nil",
				l.Rows, l.Cols, l.Coordinate, i, want, got, err, i)
		}
		got, err := l.ParseLabel(label)
		if err != nil {
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("ParseLabel(%q): got error %v, want one wrapping ErrInvalid", label, err)
			}
			return
		}
		if got < 0 || got >= l.Cells() {
			t.Fatalf("%dx%d coordinate=%v: ParseLabel(%q) = %d, want within 0-%d",
				l.Rows, l.Cols, l.Coordinate, label, got, l.Cells()-1)
		}
		if canon := l.Label(got); canon != canonicalLabel(l, label) {
			t.Fatalf("%dx%d coordinate=%v: ParseLabel(%q) = %d whose label is %q, want %q",
				l.Rows, l.Cols, l.Coordinate, label, got, canon, canonicalLabel(l, label))
		}
	})
}

// parseParameterLines reads name=value lines into a parameter map; the last of duplicate names wins.
func parseParameterLines(s string) map[string]string {
	raw := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		raw[name] = value
	}
	return raw
}

// FuzzParseParameters: ParseParameters never panics; errors are PolicyViolationErrors wrapping
// ErrPolicyViolation; success means Validate() is nil, every value given is spelled as Map() spells
// it (one canonical spelling per value), and Map() parses back to the same parameters.
func FuzzParseParameters(f *testing.F) {
	f.Add("")
	f.Add("rows=12\ncols=14\ncellLength=4\ncellCharset=crockford32\ncoordinateCardFormat=false")
	f.Add("credentialLifetime=315360000000\nmaxCredFailureCount=3\ntmpLockingThreshold=2\ntmpLockingDuration=60000")
	f.Add("tmpLockingMode=threshold\nlowOnChallengesThreshold=20\ncellReuse=true")
	f.Add("cellCharset=digits\ncellLength=6")
	f.Add("cellCharset=digits\ncellLength=5")
	f.Add("rows=+5")
	f.Add("rows=05")
	f.Add("tmpLockingThreshold=-1")
	f.Add("tmpLockingThreshold=0")
	f.Add("credentialLifetime=3153600000001")
	f.Add("unknown=1")
	f.Add("rows")
	f.Fuzz(func(t *testing.T, lines string) {
		raw := parseParameterLines(lines)
		p, err := credential.ParseParameters(raw)
		if err != nil {
			var pv *credential.PolicyViolationError
			if !errors.As(err, &pv) || !errors.Is(err, credential.ErrPolicyViolation) {
				t.Fatalf("ParseParameters(%q): got error %v, want a PolicyViolationError", raw, err)
			}
			if _, named := raw[pv.Parameter]; !named && pv.Parameter != "cellLength" {
				t.Fatalf("ParseParameters(%q): error names %q, want a parameter given (or cellLength)", raw, pv.Parameter)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseParameters(%q) succeeded but Validate(): %v", raw, err)
		}
		m := p.Map()
		if got := len(m); got != len(credential.ParameterNames()) {
			t.Fatalf("Map(): got %d members, want %d", got, len(credential.ParameterNames()))
		}
		for name, value := range raw {
			if m[name] != value {
				t.Fatalf("ParseParameters(%q): accepted %s=%q but Map() says %q; want one spelling per value",
					raw, name, value, m[name])
			}
		}
		back, err := credential.ParseParameters(m)
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("ParseParameters(Map()): got %+v, %v; want %+v", back, err, p)
		}
		if rows, _ := strconv.Atoi(m["rows"]); rows != p.Layout.Rows {
			t.Fatalf("Map()[rows]: got %q, want %d", m["rows"], p.Layout.Rows)
		}
	})
}
