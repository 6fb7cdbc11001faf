package tsharktest

import (
	"bytes"
	"testing"
)

func TestParseFollowRaw(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [2][]byte
		wantErr bool
	}{
		{"both nodes", "\n===================================================================\nFollow: tcp,raw\nFilter: tcp.stream eq 0\nNode 0: 10.0.0.1:1\nNode 1: 10.0.0.2:80\n474554\n\t4f4b\n0a\n===================================================================\n",
			[2][]byte{[]byte("GET\n"), []byte("OK")}, false},
		{"empty stream", "Follow: udp,raw\nNode 0: :0\nNode 1: :0\n", [2][]byte{}, false},
		{"not hex", "Follow: tcp,raw\nzz\n", [2][]byte{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFollowRaw([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && (!bytes.Equal(got[0], tt.want[0]) || !bytes.Equal(got[1], tt.want[1])) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
