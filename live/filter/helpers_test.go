package filter

import "net/netip"

func netipParse(s string) ([]byte, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, err
	}
	b := a.As16()
	return b[:], nil
}
