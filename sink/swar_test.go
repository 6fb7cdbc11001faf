package sink

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestPlainWord checks the eight-byte tests against the byte tables for every byte in every position.
func TestPlainWord(t *testing.T) {
	for pos := range 8 {
		for b := range 256 {
			var w [8]byte
			for i := range w {
				w[i] = 'a'
			}
			w[pos] = byte(b)
			word := binary.LittleEndian.Uint64(w[:])
			if got, want := csvPlainWord(word), csvPlain[b] && b != '"'; got != want {
				t.Errorf("csvPlainWord with %#x at %d = %v, want %v", b, pos, got, want)
			}
			if got, want := jsonPlainWord(word), jsonPlain[b]; got != want {
				t.Errorf("jsonPlainWord with %#x at %d = %v, want %v", b, pos, got, want)
			}
		}
	}
}

// TestPlainWordRandom checks the eight-byte tests against the byte tables on random words.
func TestPlainWordRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	special := []byte{0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff, '"', '\\', '<', '>', '&', ',', 'a'}
	for range 200_000 {
		var w [8]byte
		for i := range w {
			if r.IntN(2) == 0 {
				w[i] = special[r.IntN(len(special))]
			} else {
				w[i] = byte(r.IntN(256))
			}
		}
		csvWant, jsonWant := true, true
		for _, b := range w {
			csvWant = csvWant && csvPlain[b] && b != '"'
			jsonWant = jsonWant && jsonPlain[b]
		}
		word := binary.LittleEndian.Uint64(w[:])
		if csvPlainWord(word) != csvWant || jsonPlainWord(word) != jsonWant {
			t.Fatalf("word %q: csv %v json %v, want %v %v", w, csvPlainWord(word), jsonPlainWord(word), csvWant, jsonWant)
		}
	}
}
