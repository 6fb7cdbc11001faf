package ssh_test

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

	"github.com/pcapframe/pcapframe/analyzer/ssh"
	"github.com/pcapframe/pcapframe/tables"
)

var (
	pcapDir   = filepath.Join("..", "..", "testdata", "pcaps")
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "ssh")
)

// goldenCaptures are the captures scripts/golden-ssh.sh dissects with tshark.
var goldenCaptures = []string{
	"tcpdump__ssh.pcap",
	"zeek__ssh_sshguess.pcap",
	"tcpdump__ipoib.pcap",
}

// collector is a tables.Writer that keeps the rows it is given.
type collector struct{ rows []ssh.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]ssh.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

// rowsOf returns the ssh rows of a capture as the one pass of package tables builds them.
func rowsOf(t testing.TB, path string) []ssh.Row {
	t.Helper()
	def := tables.Lookup("ssh")
	if def == nil {
		t.Fatal("no ssh table in tables.List")
	}
	var c collector
	if _, err := tables.Run(context.Background(), []string{path}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.rows
}

// firstCommon is RFC 4253 §7.1's rule, written again here over tshark's lists.
func firstCommon(c, s string) string {
	server := map[string]bool{}
	for _, a := range strings.Split(s, ",") {
		server[a] = true
	}
	for _, a := range strings.Split(c, ",") {
		if server[a] {
			return a
		}
	}
	return ""
}

// TestGoldenTshark compares the ssh table with tshark's dissection: every identification line and KEXINIT tshark
// shows is in the row of its connection (matched by ports), with tshark's HASSH, HASSHServer and name-lists;
// the algorithms chosen are those RFC 4253's rule gives on tshark's lists; every row has what tshark shows.
func TestGoldenTshark(t *testing.T) {
	for _, name := range goldenCaptures {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(goldenDir, name+".tsv"))
			if err != nil {
				t.Fatalf("golden data missing (run scripts/golden-ssh.sh): %v", err)
			}
			defer f.Close()
			rows := rowsOf(t, filepath.Join(pcapDir, name))
			byPorts := map[string]*ssh.Row{}
			for i := range rows {
				r := &rows[i]
				k := fmt.Sprint(r.OrigP, "-", r.RespP)
				if byPorts[k] != nil {
					t.Fatalf("two rows for ports %s: the test cannot tell them apart", k)
				}
				byPorts[k] = r
			}
			// lists[r][side]: kex, host key, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c as tshark shows them
			lists := map[*ssh.Row]*[2][]string{}
			seen := map[*ssh.Row]int{}
			type seg struct {
				fromClient bool
				n, codes   string
			}
			segs := map[*ssh.Row][]seg{}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			lines := 0
			for sc.Scan() {
				fs := strings.Split(sc.Text(), "\t")
				lines++
				if len(fs) < 6 {
					t.Fatalf("bad golden line %q", sc.Text())
				}
				frame, _ := strconv.ParseInt(fs[1], 10, 64)
				fromClient := true
				r := byPorts[fs[3]+"-"+fs[4]]
				if r == nil {
					r, fromClient = byPorts[fs[4]+"-"+fs[3]], false
				}
				if r == nil {
					t.Errorf("frame %d: tshark shows SSH (ports %s, %s), the table has no row", frame, fs[3], fs[4])
					continue
				}
				if fs[0] != "seg" {
					seen[r]++
				}
				switch fs[0] {
				case "id":
					got := r.Server
					if fromClient {
						got = r.Client
					}
					check(t, frame, "identification", got, fs[5])
				case "seg":
					segs[r] = append(segs[r], seg{fromClient, fs[5], fs[6]})
				case "kex":
					if len(fs) < 17 {
						t.Fatalf("bad golden line %q", sc.Text())
					}
					d := 1
					if fromClient {
						d = 0
						check(t, frame, "client_kexinit_frame", fmt.Sprint(r.ClientKexInitFrame), fs[1])
						check(t, frame, "hassh", r.HASSH, fs[5])
						check(t, frame, "hassh_algorithms", r.HASSHAlgorithms, fs[7])
						check(t, frame, "client_kex_algorithms", r.ClientKexAlgs, fs[9])
						check(t, frame, "client_host_key_algorithms", r.ClientHostKeyAlgs, fs[10])
					} else {
						check(t, frame, "server_kexinit_frame", fmt.Sprint(r.ServerKexInitFrame), fs[1])
						check(t, frame, "hassh_server", r.HASSHServer, fs[6])
						check(t, frame, "hassh_server_algorithms", r.HASSHServerAlgorithms, fs[8])
						check(t, frame, "server_kex_algorithms", r.ServerKexAlgs, fs[9])
						check(t, frame, "server_host_key_algorithms", r.ServerHostKeyAlgs, fs[10])
					}
					if lists[r] == nil {
						lists[r] = new([2][]string)
					}
					lists[r][d] = fs[9:17]
				default:
					t.Fatalf("bad golden line %q", sc.Text())
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if lines == 0 {
				t.Fatal("golden data is empty")
			}
			for r, l := range lists {
				c, sv := l[0], l[1]
				if c == nil || sv == nil {
					continue
				}
				both := func(i int) string {
					x, y := firstCommon(c[i], sv[i]), firstCommon(c[i+1], sv[i+1])
					if x == y {
						return x
					}
					return "to server: " + x + ", to client: " + y
				}
				f := r.ClientKexInitFrame
				check(t, f, "kex_alg", r.KexAlg, firstCommon(c[0], sv[0]))
				check(t, f, "host_key_alg", r.HostKeyAlg, firstCommon(c[1], sv[1]))
				check(t, f, "cipher_alg", r.CipherAlg, both(2))
				check(t, f, "mac_alg", r.MACAlg, both(4))
				check(t, f, "compression_alg", r.CompressionAlg, both(6))
			}
			for i := range rows {
				if seen[&rows[i]] == 0 {
					t.Errorf("row %s:%d -> %s:%d (%q, %q): nothing tshark shows", rows[i].OrigH, rows[i].OrigP, rows[i].RespH, rows[i].RespP, rows[i].Client, rows[i].Server)
				}
			}
			// Zeek's inference (SSH.cc ProcessEncrypted, main.zeek's ssh_auth_attempted), written again here over
			// tshark's segment sizes: what follows each side's NEWKEYS segment is encrypted.
			compared := 0
			for r, ss := range segs {
				var enc [2]bool
				sawClient, sa, fail, banner, decided := false, 0, 0, false, false
				has, ok, attempts := false, false, 0
				attempt := func(good bool) {
					if has && ok {
						return
					}
					has, ok = true, good
					attempts++
				}
				usable := true
				for _, sg := range ss {
					d := 1
					if sg.fromClient {
						d = 0
					}
					if !enc[d] {
						codes := strings.Split(sg.codes, ",")
						if slices.Contains(codes, "21") {
							if codes[len(codes)-1] != "21" {
								usable = false // encrypted bytes share the segment: their count is not in tshark's fields
							}
							enc[d] = true
						}
						continue
					}
					n, _ := strconv.Atoi(sg.n)
					switch {
					case decided:
					case d == 0:
						sawClient = true
					case !sawClient:
					case sa == 0:
						sa = n
					case fail == 0 && n+16 == sa:
						decided = true
						attempt(true)
					case fail == 0 && !banner && n-sa > 256:
						banner = true
					case fail == 0:
						fail = n
					case n == fail:
						attempt(false)
					case n-sa == -16:
						decided = true
						attempt(true)
					}
				}
				if !usable {
					t.Logf("%s:%d: NEWKEYS shares a segment with encrypted data: inference not compared", r.OrigH, r.OrigP)
					continue
				}
				compared++
				got := fmt.Sprint(r.HasAuth, r.AuthSuccess, r.AuthAttempts)
				if want := fmt.Sprint(has, ok, attempts); got != want {
					t.Errorf("%s:%d: auth (present, success, attempts) = %s, Zeek's rule on tshark's segment sizes %s", r.OrigH, r.OrigP, got, want)
				}
			}
			auth := map[string]int{}
			for _, r := range rows {
				auth[fmt.Sprintf("success=%v/%v attempts=%d", r.AuthSuccess, r.HasAuth, r.AuthAttempts)]++
			}
			t.Logf("%d rows (%d compared with Zeek's rule on tshark's sizes); inferred authentication: %v", len(rows), compared, auth)
			if compared < len(rows) {
				t.Errorf("only %d of %d rows compared with Zeek's rule", compared, len(rows))
			}
		})
	}
}

func check(t *testing.T, frame int64, col, got, want string) {
	t.Helper()
	if want == "-" {
		want = ""
	}
	if got != want {
		t.Errorf("frame %d: %s = %q, tshark %q", frame, col, got, want)
	}
}

// TestEveryCapture runs the table over every capture of testdata/pcaps and testdata/hostile through package
// tables: no error but the input's own, no panic, and every row has an identification line.
func TestEveryCapture(t *testing.T) {
	var paths []string
	for _, dir := range []string{pcapDir, filepath.Join(pcapDir, "..", "hostile")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasSuffix(n, ".tsv") || strings.HasSuffix(n, ".md") {
				continue
			}
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	if len(paths) < 50 {
		t.Fatalf("only %d captures found", len(paths))
	}
	def := tables.Lookup("ssh")
	total := 0
	for _, p := range paths {
		var c collector
		if _, err := tables.Run(context.Background(), []string{p}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
			t.Logf("%s: %v (damaged input)", filepath.Base(p), err)
		}
		for _, r := range c.rows {
			if r.Client == "" && r.Server == "" {
				t.Errorf("%s: row without identification: %+v", filepath.Base(p), r)
			}
		}
		total += len(c.rows)
	}
	t.Logf("%d captures, %d rows", len(paths), total)
}
