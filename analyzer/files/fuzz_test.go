package files

import "testing"

// FuzzSMTPMessage feeds an arbitrary message through an SMTP connection, whole and split in two with a gap:
// the MIME reader must not panic, and each object's counts must hold together.
func FuzzSMTPMessage(f *testing.F) {
	f.Add([]byte("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"), uint16(20))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=3D=\r\n--b--\r\n--a--\r\n"), uint16(7))
	f.Fuzz(func(t *testing.T, msg []byte, cut uint16) {
		c := int(cut) % (len(msg) + 1)
		for _, evs := range [][]event{
			{{data: "220 x\r\n"}, {orig: true, data: "EHLO x\r\nDATA\r\n" + string(msg) + "\r\n.\r\n"}},
			{{data: "220 x\r\n"}, {orig: true, data: "EHLO x\r\nDATA\r\n" + string(msg[:c])}, {orig: true, gap: 3}, {orig: true, data: string(msg[c:]) + "\r\n.\r\n"}},
		} {
			for _, r := range smtpRun(t, evs) {
				if r.SeenBytes < 0 || r.Entropy < 0 || r.Entropy > 8.0001 || len(r.SHA256) != 64 || r.Source != "SMTP" {
					t.Fatalf("row %+v", r)
				}
			}
		}
	})
}
