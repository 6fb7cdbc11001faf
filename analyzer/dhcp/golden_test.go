package dhcp_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dhcp"
	"github.com/pcapframe/pcapframe/tables"
)

var (
	pcapDir   = filepath.Join("..", "..", "testdata", "pcaps")
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "dhcp")
)

// goldenCaptures are the captures scripts/golden-dhcp.sh dissects with tshark.
var goldenCaptures = []string{
	"zeek__dhcp_dhcp.pcap",
	"zeek__dhcp_dhcp_flood.pcap",
	"tcpdump__dhcpv6-ia-na.pcap",
	"gopacket__pcapgo_tests_be_test202.pcapng",
	"gopacket__pcapgo_tests_le_test006.pcapng",
	"pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap",
	"pcapplusplus__Pcap__Test_PcapExamples_sll.pcap",
}

// collector is a tables.Writer that keeps the rows it is given.
type collector struct{ rows []dhcp.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]dhcp.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

func rowsOf(t testing.TB, path string) []dhcp.Row {
	t.Helper()
	def := tables.Lookup("dhcp")
	if def == nil {
		t.Fatal("no dhcp table in tables.List")
	}
	var c collector
	if _, err := tables.Run(context.Background(), []string{path}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.rows
}

// Names of the message types, from RFC 2132 §9.6 (and RFC 4388, RFC 6926) and RFC 8415 §7.3, written again here.
var (
	names4 = map[string]string{"1": "DISCOVER", "2": "OFFER", "3": "REQUEST", "4": "DECLINE", "5": "ACK", "6": "NAK", "7": "RELEASE", "8": "INFORM"}
	names6 = map[string]string{"1": "SOLICIT", "2": "ADVERTISE", "3": "REQUEST", "4": "CONFIRM", "5": "RENEW", "6": "REBIND", "7": "REPLY",
		"8": "RELEASE", "9": "DECLINE", "10": "RECONFIGURE", "11": "INFORMATION-REQUEST"}
)

func first(s string) string {
	s, _, _ = strings.Cut(s, ",")
	return s
}

func orNone(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func zero(s string) string {
	if s == "0.0.0.0" || s == "-" {
		return ""
	}
	return s
}

func addrStr(a fmt.Stringer, valid bool) string {
	if !valid {
		return ""
	}
	return a.String()
}

func ints(v []int64) string {
	var s []string
	for _, x := range v {
		s = append(s, strconv.FormatInt(x, 10))
	}
	return strings.Join(s, ",")
}

// TestGoldenTshark compares the dhcp table with tshark's dissection of every message: each message tshark shows
// is in exactly one row, under its type, with the row's transaction id and client address; each row's values are
// those of its messages as tshark reads them, taken by the rules of the package documentation (the last value
// seen, server values from the server's messages).
func TestGoldenTshark(t *testing.T) {
	for _, name := range goldenCaptures {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(goldenDir, name+".tsv"))
			if err != nil {
				t.Fatalf("golden data missing (run scripts/golden-dhcp.sh): %v", err)
			}
			defer f.Close()
			lines := map[int64][]string{}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				fs := strings.Split(sc.Text(), "\t")
				if (fs[0] == "v4" && len(fs) < 18) || (fs[0] == "v6" && len(fs) < 9) || (fs[0] != "v4" && fs[0] != "v6") {
					t.Fatalf("bad golden line %q", sc.Text())
				}
				frame, _ := strconv.ParseInt(fs[1], 10, 64)
				lines[frame] = fs
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if len(lines) == 0 {
				t.Fatal("golden data is empty")
			}
			rows := rowsOf(t, filepath.Join(pcapDir, name))
			seen := map[int64]bool{}
			for _, r := range rows {
				w := expect{}
				for i, fr := range r.Frames {
					fs := lines[fr]
					if fs == nil {
						t.Errorf("row %#x: frame %d is no message tshark shows", r.TransID, fr)
						continue
					}
					if seen[fr] {
						t.Errorf("frame %d in two rows", fr)
					}
					seen[fr] = true
					id, _ := strconv.ParseInt(strings.TrimPrefix(fs[3], "0x"), 16, 64)
					if id != r.TransID {
						t.Errorf("frame %d: trans_id %#x, tshark %#x", fr, r.TransID, id)
					}
					if fs[0] == "v4" {
						w.add4(fs, i == 0)
					} else {
						w.add6(fs)
					}
					if i < len(r.MsgTypes) && r.MsgTypes[i] != w.typ {
						t.Errorf("frame %d: message type %q, tshark %q", fr, r.MsgTypes[i], w.typ)
					}
				}
				w.check(t, &r)
			}
			for fr := range lines {
				if !seen[fr] {
					t.Errorf("frame %d: tshark shows a DHCP message, no row has it", fr)
				}
			}
			t.Logf("%d messages, %d rows", len(lines), len(rows))
		})
	}
}

// expect is what a row should hold, from tshark's lines of its messages.
type expect struct {
	typ                                                        string
	mac, host, req, assigned, server, lease, vendor, relay     string
	domain, routers, dns, prl, ciaddr, clientLease, requestSrv string
	duids                                                      []string
	v6                                                         bool
}

func (w *expect) add4(fs []string, firstMsg bool) {
	reply := fs[17] == "2"
	w.typ = names4[fs[2]]
	if fs[2] == "-" {
		w.typ = "BOOTREQUEST"
		if reply {
			w.typ = "BOOTREPLY"
		}
	}
	if firstMsg {
		w.mac = first(fs[4])
	}
	set := func(dst *string, v string) {
		if v != "-" && v != "" {
			*dst = v
		}
	}
	set(&w.host, fs[5])
	set(&w.req, fs[6])
	set(&w.relay, zero(fs[11]))
	set(&w.ciaddr, zero(fs[16]))
	if reply {
		if fs[2] == "2" || fs[2] == "5" || fs[2] == "-" {
			set(&w.assigned, zero(fs[7]))
		}
		set(&w.server, fs[8])
		set(&w.lease, fs[9])
		set(&w.domain, fs[12])
		set(&w.routers, fs[13])
		set(&w.dns, fs[14])
	} else {
		set(&w.vendor, fs[10])
		set(&w.prl, fs[15])
		set(&w.clientLease, fs[9])
		set(&w.requestSrv, fs[8])
	}
}

func (w *expect) add6(fs []string) {
	w.v6 = true
	w.typ = names6[fs[2]]
	server := fs[2] == "2" || fs[2] == "7" || fs[2] == "10"
	for _, d := range strings.Split(fs[4], ",") {
		if d != "-" && !slices.Contains(w.duids, d) {
			w.duids = append(w.duids, d)
		}
	}
	if server {
		if fs[5] != "-" {
			addrs, lts := strings.Split(fs[5], ","), strings.Split(fs[6], ",")
			w.assigned, w.lease = addrs[len(addrs)-1], lts[len(lts)-1]
		}
		if fs[8] != "-" {
			w.dns = fs[8]
		}
	} else if fs[7] != "-" {
		w.prl = fs[7]
	}
}

func (w *expect) check(t *testing.T, r *dhcp.Row) {
	t.Helper()
	lease := ""
	if r.HasLease {
		lease = strconv.FormatInt(r.LeaseTime, 10)
	}
	c := func(col, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("row %#x (frames %v): %s = %q, tshark %q", r.TransID, r.Frames, col, got, want)
		}
	}
	c("assigned_addr", addrStr(r.AssignedAddr, r.AssignedAddr.IsValid()), w.assigned)
	c("lease_time", lease, orNone(w.lease+w.clientLease))
	c("param_request_list", ints(r.ParamRequestList), w.prl)
	c("dns_servers", strings.Join(r.DNSServers, ","), w.dns)
	if w.v6 {
		if r.ClientDUID != "" && !slices.Contains(w.duids, r.ClientDUID) || r.ServerDUID != "" && !slices.Contains(w.duids, r.ServerDUID) {
			t.Errorf("row %#x: DUIDs %q, %q; tshark %q", r.TransID, r.ClientDUID, r.ServerDUID, w.duids)
		}
		if r.ClientDUID == "" && len(w.duids) > 0 {
			t.Errorf("row %#x: no client DUID; tshark %q", r.TransID, w.duids)
		}
		return
	}
	if w.lease != "" {
		c("lease_time", lease, w.lease)
	}
	c("mac", r.ClientMAC, w.mac)
	c("host_name", r.Hostname, w.host)
	c("requested_addr", addrStr(r.RequestedAddr, r.RequestedAddr.IsValid()), w.req)
	c("vendor_class", r.VendorClass, w.vendor)
	c("relay", addrStr(r.Relay, r.Relay.IsValid()), w.relay)
	c("domain", r.Domain, w.domain)
	c("routers", strings.Join(r.Routers, ","), w.routers)
	c("client_addr", addrStr(r.ClientAddr, r.ClientAddr.IsValid()), w.ciaddr)
	switch {
	case w.server != "":
		c("server_addr", addrStr(r.ServerAddr, r.ServerAddr.IsValid()), w.server)
	case w.requestSrv != "":
		c("server_addr", addrStr(r.ServerAddr, r.ServerAddr.IsValid()), w.requestSrv)
	}
}

// TestEveryCapture runs the table over every capture of testdata/pcaps and testdata/hostile through package
// tables: no error but the input's own, no panic, every row with one message type per frame.
func TestEveryCapture(t *testing.T) {
	var paths []string
	for _, dir := range []string{pcapDir, filepath.Join(pcapDir, "..", "hostile")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && !strings.HasSuffix(n, ".tsv") && !strings.HasSuffix(n, ".md") {
				paths = append(paths, filepath.Join(dir, n))
			}
		}
	}
	if len(paths) < 50 {
		t.Fatalf("only %d captures found", len(paths))
	}
	def := tables.Lookup("dhcp")
	total := 0
	for _, p := range paths {
		var c collector
		if _, err := tables.Run(context.Background(), []string{p}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
			t.Logf("%s: %v (damaged input)", filepath.Base(p), err)
		}
		for _, r := range c.rows {
			if len(r.MsgTypes) != len(r.Frames) || len(r.MsgTypes) == 0 || len(r.UIDs) == 0 {
				t.Errorf("%s: row %#x: %d types, %d frames, %d uids", filepath.Base(p), r.TransID, len(r.MsgTypes), len(r.Frames), len(r.UIDs))
			}
		}
		total += len(c.rows)
	}
	t.Logf("%d captures, %d rows", len(paths), total)
}
