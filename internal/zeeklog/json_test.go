package zeeklog_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/internal/zeeklog"
)

// orderedObject decodes one JSON object into its keys in order and its values (as raw JSON).
func orderedObject(t *testing.T, line []byte) ([]string, map[string]string) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", line)
	}
	var keys []string
	vals := map[string]string{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		keys = append(keys, k)
		vals[k] = string(raw)
	}
	return keys, vals
}

// TestZeekJSONLines compares our JSON lines for get.pcap with the lines Zeek itself wrote for the same capture,
// as published in the README of the zeekjs-udp-logging plugin (Zeek 7.1+, JSON::TS_EPOCH): the same keys in the
// same order, unset fields left out alike, the same values. Left out of the comparison: ts and uid (that run
// replayed the capture live), the fuid, conn.log's duration (the flows table's differs, see docs/ZEEK.md) and
// local_orig/local_resp (that run had Site::local_nets), and our community_id (a policy script's field).
func TestZeekJSONLines(t *testing.T) {
	for _, tc := range []struct {
		log, zeek string
		ignore    []string
	}{
		{"http", `{"ts":1767115070.106275,"uid":"CIgGHgNopOHHQgCO1","id.orig_h":"141.142.228.5","id.orig_p":59856,"id.resp_h":"192.150.187.43","id.resp_p":80,"trans_depth":1,"method":"GET","host":"bro.org","uri":"/download/CHANGES.bro-aux.txt","version":"1.1","user_agent":"Wget/1.14 (darwin12.2.0)","request_body_len":0,"response_body_len":4705,"status_code":200,"status_msg":"OK","tags":[],"resp_fuids":["FshbmjO7BSRyzRFR9"],"resp_mime_types":["text/plain"]}`,
			[]string{"ts", "uid", "resp_fuids"}},
		{"conn", `{"ts":1767115070.060597,"uid":"CIgGHgNopOHHQgCO1","id.orig_h":"141.142.228.5","id.orig_p":59856,"id.resp_h":"192.150.187.43","id.resp_p":80,"proto":"tcp","service":"http","duration":0.18209600448608398,"orig_bytes":136,"resp_bytes":5007,"conn_state":"SF","local_orig":false,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":7,"orig_ip_bytes":512,"resp_pkts":7,"resp_ip_bytes":5379,"ip_proto":6}`,
			[]string{"ts", "uid", "duration", "local_orig", "local_resp", "community_id"}},
	} {
		t.Run(tc.log, func(t *testing.T) {
			data, err := readFile(filepath.Join(convert(t, zeeklog.JSON, "zeek__http_get.pcap"), tc.log+".log"))
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			gotKeys, got := orderedObject(t, lines[0])
			wantKeys, want := orderedObject(t, []byte(tc.zeek))
			keep := func(k string) bool { return !slices.Contains(tc.ignore, k) }
			gk, wk := slices.DeleteFunc(gotKeys, func(k string) bool { return !keep(k) }), slices.DeleteFunc(wantKeys, func(k string) bool { return !keep(k) })
			if !slices.Equal(gk, wk) {
				t.Errorf("keys\n got %q\nwant %q (Zeek's)", gk, wk)
			}
			for _, k := range wk {
				if got[k] != want[k] {
					t.Errorf("%s: ours %s, Zeek's %s", k, got[k], want[k])
				}
			}
			if !strings.HasPrefix(string(lines[0]), `{"ts":`) {
				t.Errorf("the object does not start with ts: %s", lines[0])
			}
		})
	}
}
