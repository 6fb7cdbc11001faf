package dns

import (
	"math"
	"strconv"

	"golang.org/x/net/publicsuffix"
)

// qtypeNames are Zeek's DNS::query_types (base/protocols/dns/consts.zeek); other types are "query-N".
var qtypeNames = map[uint16]string{
	1:     "A",
	2:     "NS",
	3:     "MD",
	4:     "MF",
	5:     "CNAME",
	6:     "SOA",
	7:     "MB",
	8:     "MG",
	9:     "MR",
	10:    "NULL",
	11:    "WKS",
	12:    "PTR",
	13:    "HINFO",
	14:    "MINFO",
	15:    "MX",
	16:    "TXT",
	17:    "RP",
	18:    "AFSDB",
	19:    "X25",
	20:    "ISDN",
	21:    "RT",
	22:    "NSAP",
	23:    "NSAP-PTR",
	24:    "SIG",
	25:    "KEY",
	26:    "PX",
	27:    "GPOS",
	28:    "AAAA",
	29:    "LOC",
	30:    "NXT",
	31:    "EID",
	32:    "NIMLOC",
	33:    "SRV",
	34:    "ATMA",
	35:    "NAPTR",
	36:    "KX",
	37:    "CERT",
	38:    "A6",
	39:    "DNAME",
	40:    "SINK",
	41:    "OPT",
	42:    "APL",
	43:    "DS",
	44:    "SSHFP",
	45:    "IPSECKEY",
	46:    "RRSIG",
	47:    "NSEC",
	48:    "DNSKEY",
	49:    "DHCID",
	50:    "NSEC3",
	51:    "NSEC3PARAM",
	52:    "TLSA",
	53:    "SMIMEA",
	55:    "HIP",
	56:    "NINFO",
	57:    "RKEY",
	58:    "TALINK",
	59:    "CDS",
	60:    "CDNSKEY",
	61:    "OPENPGPKEY",
	62:    "CSYNC",
	63:    "ZONEMD",
	64:    "SVCB",
	65:    "HTTPS",
	99:    "SPF",
	100:   "UINFO",
	101:   "UID",
	102:   "GID",
	103:   "UNSPEC",
	104:   "NID",
	105:   "L32",
	106:   "L64",
	107:   "LP",
	108:   "EUI48",
	109:   "EUI64",
	249:   "TKEY",
	250:   "TSIG",
	251:   "IXFR",
	252:   "AXFR",
	253:   "MAILB",
	254:   "MAILA",
	255:   "*",
	256:   "URI",
	257:   "CAA",
	32768: "TA",
	32769: "DLV",
	65281: "WINS",
	65282: "WINS-R",
	65422: "XPF",
	65521: "INTEGRITY",
}

// classNames are Zeek's DNS::classes; other classes are "qclass-N".
var classNames = map[uint16]string{1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD", 254: "C_NONE", 255: "C_ANY"}

// rcodeNames are Zeek's DNS::base_errors for the 4-bit header rcode.
var rcodeNames = [16]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSet", "NOTAUTH", "NOTZONE", "unassigned-11", "unassigned-12", "unassigned-13", "unassigned-14", "unassigned-15"}

// appendTypeName appends Zeek's name of a record type.
func appendTypeName(dst []byte, t uint16) []byte {
	if s, ok := qtypeNames[t]; ok {
		return append(dst, s...)
	}
	return strconv.AppendInt(append(dst, "query-"...), int64(t), 10)
}

// appendClassName appends Zeek's name of a class.
func appendClassName(dst []byte, c uint16) []byte {
	if s, ok := classNames[c]; ok {
		return append(dst, s...)
	}
	return strconv.AppendInt(append(dst, "qclass-"...), int64(c), 10)
}

// suffixCacheMax bounds the public-suffix cache; it is emptied when full.
const suffixCacheMax = 8192

// suffixCache finds registered domains (public suffix plus one label, golang.org/x/net/publicsuffix) and
// remembers them by the name's last labels: the names under one domain (a tunnel's, a CDN's) cost one lookup,
// and no allocation after the first.
type suffixCache struct {
	m     map[string]int8 // key: a name's last k labels → labels of its public suffix if fewer than k; -1: the key is all suffix; -2: invalid
	lower []byte
}

// baseLabels returns how many trailing labels of the name (in escaped form; labels its label count) make its
// registered domain, or 0 when it has none (a single label, the root, or a public suffix itself). The name is
// lower-cased (ASCII) first, into c.lower.
//
// It asks publicsuffix about the last 2 labels, then 3, ...: when the suffix found is shorter than those labels,
// the lookup stopped inside them, so a longer name has the same suffix.
func (c *suffixCache) baseLabels(esc []byte, labels int) int {
	c.lower = c.lower[:0]
	if labels < 2 {
		return 0
	}
	for _, ch := range esc {
		c.lower = append(c.lower, lowerASCII(ch))
	}
	if c.m == nil {
		c.m = make(map[string]int8)
	}
	start := len(c.lower)
	for k := 1; k <= labels; k++ {
		// Move start to the beginning of the last k labels (escaped dots inside labels are \x2e, never '.').
		if start > 0 {
			start--
		}
		for start > 0 && c.lower[start-1] != '.' {
			start--
		}
		if k < 2 {
			continue
		}
		key := c.lower[start:]
		v, ok := c.m[string(key)]
		if !ok {
			d := string(key)
			suffix, _ := publicsuffix.PublicSuffix(d)
			switch {
			case len(suffix) >= len(d):
				v = -1
			case d[len(d)-len(suffix)-1] != '.':
				v = -2
			default:
				v = 1
				for i := range len(suffix) {
					if suffix[i] == '.' {
						v++
					}
				}
			}
			if len(c.m) >= suffixCacheMax {
				clear(c.m)
			}
			c.m[d] = v
		}
		switch {
		case v == -2:
			return 0
		case v >= 0:
			return int(v) + 1
		}
	}
	return 0
}

// xlog2x[c] is c·log2(c), for the entropy of byte counts up to 255 (a subdomain has at most 253 bytes).
var xlog2x [256]float64

func init() {
	for c := 1; c < len(xlog2x); c++ {
		xlog2x[c] = float64(c) * math.Log2(float64(c))
	}
}

// entropy is the Shannon entropy, in bits per byte, of the bytes of labels [0, n) of nm (separators excluded):
// with N bytes of which c_i are byte i, H = log2 N - (Σ c_i·log2 c_i) / N.
func entropy(nm *name, n int) float64 {
	if n <= 0 {
		return 0
	}
	var counts [256]uint8
	var seen [256]byte
	distinct, total, start := 0, 0, 0
	for i := range n {
		end := int(nm.end[i])
		for _, c := range nm.raw[start:end] {
			if counts[c] == 0 {
				seen[distinct] = c
				distinct++
			}
			counts[c]++
		}
		total += end - start
		start = end + 1
	}
	if total == 0 || distinct == 1 {
		return 0
	}
	sum := 0.0
	for _, c := range seen[:distinct] {
		sum += xlog2x[counts[c]]
	}
	if h := xlog2x[total]/float64(total) - sum/float64(total); h > 0 {
		return h
	}
	return 0
}
