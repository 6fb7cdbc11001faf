package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Interface describes a network interface.
type Interface struct {
	Name     string
	Index    int
	HWType   int // ARPHRD_* hardware type
	LinkType int // LINKTYPE_* of captured frames (1 Ethernet, 101 raw IP); 0 when capture is not supported
	MTU      int
	Flags    net.Flags
	MAC      string   // hardware address, "" when none
	Addrs    []string // IP addresses with prefix length
}

// Up reports whether the interface is administratively up.
func (i Interface) Up() bool { return i.Flags&net.FlagUp != 0 }

// ErrNoInterface is returned for an interface that does not exist.
var ErrNoInterface = errors.New("no such interface")

// ErrPermission is returned when the process may not capture (it needs root or CAP_NET_RAW).
var ErrPermission = errors.New("permission denied: capturing needs root or the CAP_NET_RAW capability")

// linkTypeOf maps a Linux hardware type to the link type of the frames an AF_PACKET raw socket returns.
func linkTypeOf(hw int) int {
	switch hw {
	case 1, 772: // ARPHRD_ETHER, ARPHRD_LOOPBACK (Linux gives loopback frames an Ethernet header)
		return 1
	case 0xfffe, 768, 769, 776: // ARPHRD_NONE (tun, WireGuard), ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT
		return 101
	}
	return 0
}

// Interfaces lists the network interfaces in index order.
func Interfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]Interface, 0, len(ifs))
	for _, ifc := range ifs {
		out = append(out, describe(ifc))
	}
	return out, nil
}

// InterfaceByName describes one interface; the error wraps ErrNoInterface when it does not exist.
func InterfaceByName(name string) (Interface, error) {
	if name == "" {
		return Interface{}, fmt.Errorf("no interface named: %w", ErrNoInterface)
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return Interface{}, fmt.Errorf("interface %q: %w", name, ErrNoInterface)
	}
	return describe(*ifc), nil
}

func describe(ifc net.Interface) Interface {
	i := Interface{Name: ifc.Name, Index: ifc.Index, MTU: ifc.MTU, Flags: ifc.Flags, HWType: -1}
	if len(ifc.HardwareAddr) > 0 {
		i.MAC = ifc.HardwareAddr.String()
	}
	if b, err := os.ReadFile("/sys/class/net/" + ifc.Name + "/type"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			i.HWType = v
			i.LinkType = linkTypeOf(v)
		}
	}
	if addrs, err := ifc.Addrs(); err == nil {
		for _, a := range addrs {
			i.Addrs = append(i.Addrs, a.String())
		}
	}
	return i
}
