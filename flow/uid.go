package flow

import (
	"crypto/sha1"
	"encoding/binary"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// setUID derives the flow's uid from its first packet: its time, frame number and key. Like Zeek's uids it is
// "C" followed by a 96-bit number in base62; unlike Zeek's it is not random, so that reruns give the same uids.
func (f *Flow) setUID(k *Key, frame int64) {
	var buf [8 + 8 + len(Key{}) + 3]byte
	binary.BigEndian.PutUint64(buf[0:8], uint64(f.TS))
	binary.BigEndian.PutUint64(buf[8:16], uint64(frame))
	copy(buf[16:], k[:])
	copy(buf[16+len(k):], "uid")
	sum := sha1.Sum(buf[:])
	// 96 bits as three 32-bit limbs, most significant first, divided by 62 repeatedly.
	limbs := [3]uint32{binary.BigEndian.Uint32(sum[0:4]), binary.BigEndian.Uint32(sum[4:8]), binary.BigEndian.Uint32(sum[8:12])}
	var digits [17]byte
	n := 0
	for limbs != [3]uint32{} {
		var rem uint64
		for i := range limbs {
			cur := rem<<32 | uint64(limbs[i])
			limbs[i] = uint32(cur / 62)
			rem = cur % 62
		}
		digits[n] = base62[rem]
		n++
	}
	f.uid[0] = 'C'
	for i := range n {
		f.uid[1+i] = digits[n-1-i]
	}
	f.uidN = uint8(1 + n)
}
