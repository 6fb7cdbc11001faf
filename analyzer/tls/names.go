package tls

import (
	ctls "crypto/tls"
	"fmt"
)

// versionName names a protocol version as Zeek's ssl.log does (SSLv2, SSLv3, TLSv10 ... TLSv13, DTLSv10,
// DTLSv12, DTLSv13); other values are "unknown-N" (decimal), as in Zeek.
func versionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSLv2"
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLSv10"
	case 0x0302:
		return "TLSv11"
	case 0x0303:
		return "TLSv12"
	case 0x0304:
		return "TLSv13"
	case 0xfeff:
		return "DTLSv10"
	case 0xfefd:
		return "DTLSv12"
	case 0xfefc:
		return "DTLSv13"
	}
	if v>>8 == 0x7f {
		return fmt.Sprintf("TLSv13-draft%d", v&0xff)
	}
	return fmt.Sprintf("unknown-%d", v)
}

// cipherName names a cipher suite by its IANA name (as Wireshark names it, cipher_names.go, else as Go's
// crypto/tls does); unknown suites are "0xXXXX".
func cipherName(id uint16) string {
	if n, ok := cipherNames[id]; ok {
		return n
	}
	return ctls.CipherSuiteName(id)
}

// groupName names a named group (elliptic curve or finite-field group) as Zeek does.
func groupName(g uint16) string {
	switch g {
	case 21:
		return "secp224r1"
	case 22:
		return "secp256k1"
	case 23:
		return "secp256r1"
	case 24:
		return "secp384r1"
	case 25:
		return "secp521r1"
	case 29:
		return "x25519"
	case 30:
		return "x448"
	case 256:
		return "ffdhe2048"
	case 257:
		return "ffdhe3072"
	case 258:
		return "ffdhe4096"
	case 259:
		return "ffdhe6144"
	case 260:
		return "ffdhe8192"
	case 0x11eb:
		return "SecP256r1MLKEM768"
	case 0x11ec:
		return "X25519MLKEM768"
	case 0x11ed:
		return "SecP384r1MLKEM1024"
	case 0x6399:
		return "X25519Kyber768Draft00"
	}
	return fmt.Sprintf("unknown-%d", g)
}

// alertName names a TLS alert description (RFC 8446 §6 and earlier RFCs), as Zeek does.
func alertName(d int) string {
	switch d {
	case 0:
		return "close_notify"
	case 10:
		return "unexpected_message"
	case 20:
		return "bad_record_mac"
	case 21:
		return "decryption_failed"
	case 22:
		return "record_overflow"
	case 30:
		return "decompression_failure"
	case 40:
		return "handshake_failure"
	case 41:
		return "no_certificate"
	case 42:
		return "bad_certificate"
	case 43:
		return "unsupported_certificate"
	case 44:
		return "certificate_revoked"
	case 45:
		return "certificate_expired"
	case 46:
		return "certificate_unknown"
	case 47:
		return "illegal_parameter"
	case 48:
		return "unknown_ca"
	case 49:
		return "access_denied"
	case 50:
		return "decode_error"
	case 51:
		return "decrypt_error"
	case 60:
		return "export_restriction"
	case 70:
		return "protocol_version"
	case 71:
		return "insufficient_security"
	case 80:
		return "internal_error"
	case 86:
		return "inappropriate_fallback"
	case 90:
		return "user_canceled"
	case 100:
		return "no_renegotiation"
	case 109:
		return "missing_extension"
	case 110:
		return "unsupported_extension"
	case 111:
		return "certificate_unobtainable"
	case 112:
		return "unrecognized_name"
	case 113:
		return "bad_certificate_status_response"
	case 114:
		return "bad_certificate_hash_value"
	case 115:
		return "unknown_psk_identity"
	case 116:
		return "certificate_required"
	case 120:
		return "no_application_protocol"
	}
	return fmt.Sprintf("unknown-%d", d)
}
