package files

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestJoinsHTTP checks that the http and files tables agree without sharing state: every fuid of
// http.orig_fuids and http.resp_fuids is the fuid of one HTTP object of the files table, with the same
// direction, flow and MIME type, and every HTTP object is named by one http row.
func TestJoinsHTTP(t *testing.T) {
	for _, name := range []string{"chrissanders__http_espn.pcapng", "zeek__http_http-post-large.pcap", "scapy__http_chunk.pcap.gz"} {
		var hrows []http.Row
		ha := http.New(func(r *http.Row) error { hrows = append(hrows, *r); return nil })
		d := newDriver(ha)
		if err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), name)}, pipeline.Options{Workers: 1}, d.Batch); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		frows, _ := runCapture(t, name, Options{})
		objects := map[string]Row{}
		for _, r := range frows {
			if r.Source == "HTTP" {
				objects[r.FUID] = r
			}
		}
		named := 0
		for _, h := range hrows {
			for dir, list := range map[bool][]string{true: h.OrigFUIDs, false: h.RespFUIDs} {
				for _, id := range list {
					o, ok := objects[id]
					if !ok {
						t.Errorf("%s: http row %d of %s names %s, which the files table lacks", name, h.TransDepth, h.UID, id)
						continue
					}
					named++
					if o.FromOrig != dir || o.UID != h.UID || o.Depth != h.TransDepth {
						t.Errorf("%s: %s: direction %v uid %s depth %d, http row %v %s %d", name, id, o.FromOrig, o.UID, o.Depth, dir, h.UID, h.TransDepth)
					}
				}
			}
		}
		if named != len(objects) || named == 0 {
			t.Errorf("%s: http rows name %d objects, the files table has %d", name, named, len(objects))
		}
	}
}
