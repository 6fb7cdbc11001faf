package credentials

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// maxSMBScan caps the bytes of each direction of an SMB connection searched for NTLMSSP messages.
const maxSMBScan = 1 << 20

// smbState is what is kept of an SMB connection (ports 445, 139).
type smbState struct {
	scanned [2]int
}

// smbData looks for NTLMSSP messages in SMB session setups: the CHALLENGE of the server, the AUTHENTICATE of
// the client (whole in the data of one call), then the status of the server's next SESSION_SETUP response
// (SMB2 "\xfeSMB" or SMB1 "\xffSMB" after the 4-byte NetBIOS session header at the start of the call's data):
// 0 accepts, STATUS_MORE_PROCESSING_REQUIRED waits, any other status refuses.
func (c *conn) smbData(d int, b []byte) {
	s := &c.smb
	if s.scanned[d] >= maxSMBScan {
		if s.scanned[client] >= maxSMBScan && s.scanned[server] >= maxSMBScan {
			c.dead = true
		}
		return
	}
	s.scanned[d] += len(b)
	if d == client {
		c.ntlmMessage(b, "NTLMSSP")
		return
	}
	c.ntlmChallenge(b)
	if len(c.pending) == 0 || len(b) < 4+16 {
		return
	}
	h := b[4:]
	var status uint32
	switch {
	case bytes.HasPrefix(h, []byte("\xfeSMB")) && len(h) >= 14 && binary.LittleEndian.Uint16(h[12:]) == 1:
		status = binary.LittleEndian.Uint32(h[8:])
	case bytes.HasPrefix(h, []byte("\xffSMB")) && h[4] == 0x73:
		status = binary.LittleEndian.Uint32(h[5:])
	default:
		return
	}
	if status == 0xc0000016 { // STATUS_MORE_PROCESSING_REQUIRED
		return
	}
	c.reply(status == 0, []byte(fmt.Sprintf("status 0x%08x", status)))
}
