package dhcp

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/schema"
)

// Row is one DHCP transaction. The emit function of New gets a *Row that is reused once emit returns; the values
// it refers to are never written again, so emit may keep a copy of the Row value.
type Row struct {
	TS, LastTS int64 // times of the first and last messages
	UIDs       []string
	Version    int   // 4 or 6
	TransID    int64 // xid (DHCPv4) or transaction-id (DHCPv6)

	ClientMAC, ClientDUID, ServerDUID string
	ClientAddr, ServerAddr            netip.Addr
	RequestedAddr, AssignedAddr       netip.Addr
	HasLease                          bool
	LeaseTime                         int64 // seconds
	Hostname, ClientFQDN, Domain      string
	Routers, DNSServers               []string
	VendorClass                       string
	ParamRequestList                  []int64
	Relay                             netip.Addr
	ClientMessage, ServerMessage      string
	MsgTypes                          []string
	Frames                            []int64
	Note                              string
}

// Table is the dhcp table.
var Table = &schema.Table[Row]{
	Name: "dhcp",
	Doc: "One row per DHCP or BOOTP transaction (DHCPv4 messages with the same xid and client hardware address " +
		"within 30 s) and per DHCPv6 exchange (same transaction id within 30 s), over every flow that carried it: " +
		"Zeek's dhcp.log columns plus vendor class, parameters requested, relay, routers, DNS servers and frames.",
	Columns: []schema.Column[Row]{
		{Name: "ts", Type: schema.Timestamp, Default: true, Doc: "Time of the transaction's first message (UTC, nanoseconds).", Int: func(r *Row) (int64, bool) { return r.TS, true }},
		{Name: "uids", Type: schema.StringList, Default: true, Doc: "Uids of the flows that carried the transaction's messages (joins flows.uid), in order of first use: a DISCOVER broadcast and the unicast OFFER are two flows.", Strings: func(r *Row) ([]string, bool) { return r.UIDs, true }},
		{Name: "version", Type: schema.Int32, Default: true, Doc: "4 for DHCPv4/BOOTP, 6 for DHCPv6.", Int: func(r *Row) (int64, bool) { return int64(r.Version), true }},
		{Name: "trans_id", Type: schema.Int64, Default: true, Doc: "Transaction id: the xid (32 bits) of DHCPv4, the transaction-id (24 bits) of DHCPv6.", Int: func(r *Row) (int64, bool) { return r.TransID, true }},
		str("mac", true, "Client hardware address (chaddr) as aa:bb:cc:dd:ee:ff for Ethernet, else in hex; null for DHCPv6 (see client_duid).", func(r *Row) string { return r.ClientMAC }),
		str("client_duid", false, "DHCPv6 client identifier (DUID, option 1) in hex.", func(r *Row) string { return r.ClientDUID }),
		str("server_duid", false, "DHCPv6 server identifier (DUID, option 2) in hex.", func(r *Row) string { return r.ServerDUID }),
		addr("client_addr", true, "Client's own address (ciaddr, when not 0.0.0.0), as Zeek's client_addr.", func(r *Row) netip.Addr { return r.ClientAddr }),
		addr("server_addr", true, "Server: its server identifier (option 54), else the address its messages came from.", func(r *Row) netip.Addr { return r.ServerAddr }),
		str("host_name", true, "Host name the client gave (option 12), as sent.", func(r *Row) string { return r.Hostname }),
		str("client_fqdn", true, "Client FQDN (DHCPv4 option 81, DHCPv6 option 39), the name only.", func(r *Row) string { return r.ClientFQDN }),
		str("domain", true, "Domain name the server gave (option 15; DHCPv6: the domain search list, option 24, joined by commas).", func(r *Row) string { return r.Domain }),
		addr("requested_addr", true, "Address the client asked for (option 50).", func(r *Row) netip.Addr { return r.RequestedAddr }),
		addr("assigned_addr", true, "Address the server assigned: yiaddr of the last OFFER or ACK (DHCPv6: the last IA_NA address of an ADVERTISE or REPLY).", func(r *Row) netip.Addr { return r.AssignedAddr }),
		{Name: "lease_time", Type: schema.Int64, Default: true, Doc: "Lease time in seconds: option 51 of the server, else of the client (DHCPv6: the valid lifetime of the assigned address); null when none was seen.", Int: func(r *Row) (int64, bool) { return r.LeaseTime, r.HasLease }},
		{Name: "msg_types", Type: schema.StringList, Default: true, Doc: "Message types in order: DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM, ... (BOOTREQUEST/BOOTREPLY without option 53); DHCPv6: SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY, RELEASE, DECLINE, RECONFIGURE, INFORMATION-REQUEST.", Strings: func(r *Row) ([]string, bool) { return r.MsgTypes, true }},
		{Name: "duration", Type: schema.Float64, Default: true, Doc: "Seconds from the first message to the last.", Float: func(r *Row) (float64, bool) { return float64(r.LastTS-r.TS) / 1e9, true }},
		str("vendor_class", true, "Vendor class identifier the client sent (option 60; DHCPv6: option 16's data, joined by commas), as sent (Zeek's client_software).", func(r *Row) string { return r.VendorClass }),
		{Name: "param_request_list", Type: schema.Int64List, Doc: "Option codes the client asked for (option 55; DHCPv6: the Option Request option 6), in its order.", Ints: func(r *Row) ([]int64, bool) { return r.ParamRequestList, r.ParamRequestList != nil }},
		addr("relay", false, "Relay agent: giaddr when not 0.0.0.0 (DHCPv6: the link-address of the innermost relay).", func(r *Row) netip.Addr { return r.Relay }),
		strs("routers", "Routers the server gave (option 3).", func(r *Row) []string { return r.Routers }),
		strs("dns_servers", "DNS servers the server gave (option 6; DHCPv6: option 23).", func(r *Row) []string { return r.DNSServers }),
		str("client_message", false, "Message the client sent (option 56), as Zeek's client_message.", func(r *Row) string { return r.ClientMessage }),
		str("server_message", false, "Message the server sent (option 56), as Zeek's server_message.", func(r *Row) string { return r.ServerMessage }),
		{Name: "frames", Type: schema.Int64List, Doc: "Frame numbers of the transaction's messages, in order.", Ints: func(r *Row) ([]int64, bool) { return r.Frames, true }},
		str("note", false, "Problems met while decoding (damaged options, missing magic cookie, caps reached), joined by \"; \".", func(r *Row) string { return r.Note }),
	},
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err) // a programming error in the table above
	}
}

func str(name string, def bool, doc string, get func(*Row) string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		s := get(r)
		return append(b, s...), s != ""
	}}
}

func addr(name string, def bool, doc string, get func(*Row) netip.Addr) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.String, Doc: doc, Default: def, Append: func(r *Row, b []byte) ([]byte, bool) {
		a := get(r)
		return a.AppendTo(b), a.IsValid()
	}}
}

func strs(name, doc string, get func(*Row) []string) schema.Column[Row] {
	return schema.Column[Row]{Name: name, Type: schema.StringList, Doc: doc, Strings: func(r *Row) ([]string, bool) {
		v := get(r)
		return v, v != nil
	}}
}
