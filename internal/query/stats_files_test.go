package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesSectionsMatchTshark checks the files sections against the object tshark exports from an HTTP capture
// (tshark --export-objects http): the one object's size and SHA-256 in files_largest, its size in files_types.
func TestFilesSectionsMatchTshark(t *testing.T) {
	const name = "zeek__http_get.pcap"
	dir := t.TempDir()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed for this test (apt-get install -y tshark)")
	}
	if out, err := exec.Command("tshark", "-n", "-r", corpusFile(t, name), "--export-objects", "http,"+dir).CombinedOutput(); err != nil {
		t.Fatalf("tshark --export-objects: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("tshark exported %d objects (%v): pick another capture", len(ents), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	rep, err := load(t, name).Stats(context.Background(), StatsOptions{Only: []string{"files_types", "files_largest", "files_executables"}})
	if err != nil {
		t.Fatal(err)
	}
	largest := section(t, rep, "files_largest")
	if len(largest.Rows) != 1 {
		t.Fatalf("files_largest has %d rows, tshark exports 1 object", len(largest.Rows))
	}
	row := map[string]string{}
	for i, c := range largest.Columns {
		row[c.Name] = formatValue(largest.Rows[0][i])
	}
	if row["bytes"] != "4705" || len(b) != 4705 {
		t.Errorf("largest object: %s bytes, tshark's %d", row["bytes"], len(b))
	}
	if row["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("largest object's sha256 %s, of tshark's export %x", row["sha256"], sum)
	}
	types := sectionCounts(t, rep, "files_types", "mime_type", "bytes")
	if len(types) != 1 || types["text/plain"] != int64(len(b)) {
		t.Errorf("files_types bytes %v, want text/plain %d", types, len(b))
	}
	if ex := section(t, rep, "files_executables"); len(ex.Rows) != 0 {
		t.Errorf("files_executables lists a text file: %v", ex.Rows)
	}
}

// TestCredentialsSections checks the credentials sections against tshark's FTP and SMTP dissection: one PASS
// answered 230 (FTP USER/PASS accepted), one AUTH LOGIN answered 235 (SMTP accepted); the section of the
// credentials themselves runs only when named.
func TestCredentialsSections(t *testing.T) {
	ftp, smtp := "zeek__ftp_ipv4.pcap", "zeek__smtp.pcap"
	pass := len(tsharkFields(t, corpusFile(t, ftp), `ftp.request.command == "PASS"`, "frame.number"))
	ok230 := len(tsharkFields(t, corpusFile(t, ftp), "ftp.response.code == 230", "frame.number"))
	auth := tsharkFields(t, corpusFile(t, smtp), `smtp.req.command == "AUTH"`, "smtp.req.parameter")
	ok235 := len(tsharkFields(t, corpusFile(t, smtp), "smtp.response.code == 235", "frame.number"))
	if pass != 1 || ok230 != 1 || len(auth) != 1 || !strings.HasPrefix(strings.ToUpper(auth[0][0]), "LOGIN") || ok235 != 1 {
		t.Fatalf("tshark: %d PASS, %d 230, AUTH %v, %d 235: pick other captures", pass, ok230, auth, ok235)
	}
	e := load(t, ftp, smtp)
	rep, err := e.Stats(context.Background(), StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sections {
		if s.Sensitive {
			t.Errorf("the sensitive section %s runs without being named", s.Name)
		}
	}
	s := section(t, rep, "credentials_protocols")
	got := map[string]string{}
	for _, r := range s.Rows {
		var parts []string
		for i, c := range s.Columns {
			if c.Name != "users" && c.Name != "servers" {
				parts = append(parts, formatValue(r[i]))
			}
		}
		got[formatValue(r[0])] = strings.Join(parts, " ")
	}
	want := map[string]string{"ftp": "ftp USER/PASS 1 1 0", "smtp": "smtp AUTH LOGIN 1 1 0"}
	if len(got) != len(want) || got["ftp"] != want["ftp"] || got["smtp"] != want["smtp"] {
		t.Errorf("credentials_protocols:\n got %q\nwant %q (protocol mechanism credentials accepted refused)", got, want)
	}
	rep, err = e.Stats(context.Background(), StatsOptions{Only: []string{"credentials_seen"}})
	if err != nil {
		t.Fatal(err)
	}
	if seen := section(t, rep, "credentials_seen"); len(seen.Rows) != 2 {
		t.Errorf("credentials_seen has %d rows, want 2", len(seen.Rows))
	}
}

// TestFilesExecutables checks files_executables on the HoneyNet attack trace: the one executable is the PE
// fetched over FTP, whose size and MD5 are those of the files.log Zeek wrote for the same capture (158720 bytes,
// 14a09a48ad23fe0ea5a180bee8cb750a, published in a lab write-up); files_types counts it.
func TestFilesExecutables(t *testing.T) {
	e := load(t, "markofu__HoneyNet_0110_attack-trace.pcap_.gz")
	rep, err := e.Stats(context.Background(), StatsOptions{Only: []string{"files_executables", "files_types"}})
	if err != nil {
		t.Fatal(err)
	}
	ex := section(t, rep, "files_executables")
	if len(ex.Rows) != 1 {
		t.Fatalf("files_executables has %d rows, want the one PE", len(ex.Rows))
	}
	row := map[string]string{}
	for i, c := range ex.Columns {
		row[c.Name] = formatValue(ex.Rows[0][i])
	}
	if row["bytes"] != "158720" || row["filename"] != "ssms.exe" || row["source"] != "FTP_DATA" || row["sender"] != "98.114.205.102" {
		t.Errorf("executable row %v", row)
	}
	if got := rows(t, e, "SELECT md5 FROM files WHERE sha256 = '"+row["sha256"]+"'"); len(got) != 1 || got[0][0] != "14a09a48ad23fe0ea5a180bee8cb750a" {
		t.Errorf("md5 of the executable %v, Zeek's 14a09a48ad23fe0ea5a180bee8cb750a", got)
	}
	if n := sectionCounts(t, rep, "files_types", "mime_type", "files")["application/vnd.microsoft.portable-executable"]; n != 1 {
		t.Errorf("files_types counts %d PE files, want 1", n)
	}
}
