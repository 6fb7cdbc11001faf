package query

import (
	"context"
	"reflect"
	"strconv"
	"testing"
)

// httpSections are the stats sections over the http table.
var httpSections = []string{"http_hosts", "http_user_agents", "http_status", "http_methods"}

// TestHTTPSectionsMatchTshark checks the HTTP sections against tshark's HTTP dissection of corpus captures:
// requests per method, per Host header and per User-Agent against tshark's request frames, and final responses
// per status code against tshark's response frames (1xx interim responses apart).
func TestHTTPSectionsMatchTshark(t *testing.T) {
	for _, name := range []string{"chrissanders__http_espn.pcapng", "zeek__http_pipelined-requests.pcap", "zeek__http_http-post-large.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := corpusFile(t, name)
			e := load(t, name)
			rep, err := e.Stats(context.Background(), StatsOptions{Top: 1 << 20, Only: httpSections})
			if err != nil {
				t.Fatal(err)
			}
			methods, hosts, agents := map[string]int64{}, map[string]int64{}, map[string]int64{}
			for _, f := range tsharkFields(t, path, "http.request", "http.request.method", "http.host", "http.user_agent") {
				methods[f[0]]++
				if len(f) > 1 && f[1] != "" {
					hosts[f[1]]++
				}
				if len(f) > 2 && f[2] != "" {
					agents[f[2]]++
				}
			}
			if len(methods) == 0 {
				t.Fatal("tshark shows no HTTP request: pick another capture")
			}
			if got := sectionCounts(t, rep, "http_methods", "method", "requests"); !reflect.DeepEqual(got, methods) {
				t.Errorf("requests per method:\n got %v\nwant %v (tshark)", got, methods)
			}
			gotHosts := sectionCounts(t, rep, "http_hosts", "host", "requests")
			delete(gotHosts, "(no Host header)")
			if !reflect.DeepEqual(gotHosts, hosts) {
				t.Errorf("requests per host:\n got %v\nwant %v (tshark)", gotHosts, hosts)
			}
			gotAgents := sectionCounts(t, rep, "http_user_agents", "user_agent", "requests")
			delete(gotAgents, "(no User-Agent)")
			if !reflect.DeepEqual(gotAgents, agents) {
				t.Errorf("requests per user agent:\n got %v\nwant %v (tshark)", gotAgents, agents)
			}
			status := map[string]int64{}
			for _, f := range tsharkFields(t, path, "http.response && http.response.code >= 200", "http.response.code") {
				status[f[0]]++
			}
			gotStatus := sectionCounts(t, rep, "http_status", "status", "responses")
			delete(gotStatus, "(no response)")
			// tshark reassembles a response body before it shows the response: one whose body the capture lacks
			// (noted on its row) is not an http.response frame there.
			for _, r := range rows(t, e, "SELECT CAST(status_code AS VARCHAR), count(*) FROM http WHERE status_code IS NOT NULL AND note LIKE '%response: % body bytes missing%' GROUP BY ALL") {
				n, _ := strconv.ParseInt(r[1], 10, 64)
				if gotStatus[r[0]] -= n; gotStatus[r[0]] == 0 {
					delete(gotStatus, r[0])
				}
			}
			if !reflect.DeepEqual(gotStatus, status) {
				t.Errorf("responses per status:\n got %v\nwant %v (tshark)", gotStatus, status)
			}
			// The sections' totals agree: every request has a method, every response a status.
			var total int64
			for _, n := range sectionCounts(t, rep, "http_status", "status", "responses") {
				total += n
			}
			var reqs int64
			for _, n := range sectionCounts(t, rep, "http_methods", "method", "requests") {
				reqs += n
			}
			if total != reqs {
				t.Errorf("status rows total %d, method rows total %d: both count every row of the http table", total, reqs)
			}
		})
	}
}

// TestStatsWithoutHTTP checks that a capture without HTTP (checked with tshark) has no HTTP section.
func TestStatsWithoutHTTP(t *testing.T) {
	const name = "zeek__tls_tls1.2.pcap"
	if n := len(tsharkFields(t, corpusFile(t, name), "http", "frame.number")); n != 0 {
		t.Fatalf("tshark finds %d HTTP packets in %s: pick another capture", n, name)
	}
	rep, err := load(t, name).Stats(context.Background(), StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sections {
		if s.Table == "http" {
			t.Errorf("section %s is in the report of a capture without HTTP", s.Name)
		}
	}
	// Named with --only, a section over the empty table is skipped with the reason.
	rep, err = load(t, name).Stats(context.Background(), StatsOptions{Only: []string{"http_methods"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sections) != 1 || rep.Sections[0].Skipped != "no HTTP transactions in the inputs" {
		t.Errorf("http_methods over a capture without HTTP: %+v", rep.Sections)
	}
}
