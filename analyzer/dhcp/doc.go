// Package dhcp is the analyzer of the dhcp table: one row per DHCP (or BOOTP) transaction and per DHCPv6
// exchange, with the columns of Zeek's dhcp.log and what an analyst asks next (vendor class, parameters
// requested, relay, routers, DNS servers).
//
// # Which packets
//
// UDP datagrams with port 67 or 68 on either side are DHCPv4/BOOTP (RFC 2131, RFC 951); port 546 or 547,
// DHCPv6 (RFC 8415). Messages are decoded with gopacket's layers.DHCPv4 and layers.DHCPv6, which check every
// length against the datagram (a chaddr longer than 16 bytes, an option running past the end, a truncated fixed
// header are errors, never reads past the data); the options decoded before a damaged one are kept, with a note.
// A BOOTP message without the DHCP magic cookie is a BOOTP message without options. DHCPv6 relay messages
// (RELAY-FORW, RELAY-REPL) are opened: the relayed message inside (its Relay Message option, up to 8 relays
// deep) is the one counted, and the innermost relay's link-address is the relay column.
//
// # Transactions
//
// As Zeek groups its dhcp.log, the messages of one transaction share a key: for DHCPv4 the transaction id (xid)
// and the client hardware address (chaddr), for DHCPv6 the transaction id (so a SOLICIT/ADVERTISE exchange and
// the REQUEST/REPLY that follows, which uses a new id, are two rows). A transaction collects the messages of its
// key for TxWindow (30 s, Zeek's DHCP::max_txid_watch_time) after its first message, whatever the flows (a
// DISCOVER from 0.0.0.0 and the OFFER to the new address are two flows: the uids column lists them); a message
// with the key after that starts a new transaction. A row is emitted when its window has passed (checked as
// packets arrive, packet time) or at the end of the run.
//
// # Values
//
// Addresses, the lease and the options come from the messages as in Zeek: client_addr is the client's ciaddr;
// server_addr the server identifier (option 54), else the address the server's messages came from;
// requested_addr option 50; assigned_addr the yiaddr of the last OFFER or ACK (DHCPv6: the last IA_NA address of
// an ADVERTISE or REPLY); lease_time option 51 of the server (else of the client; DHCPv6: the valid lifetime of
// that address). When a value occurs in several messages the last one is kept. Strings (host name, domain,
// vendor class, messages) are kept as sent.
//
// # Bounds
//
// A transaction keeps at most MaxMessages messages: the next message of its key ends it (with a note) and starts
// the next row, so every message is in a row (a flood of one xid makes rows of 64 messages); at most
// MaxPending transactions wait at once (the oldest is emitted first when more arrive). Lists taken from one
// option are cut at 64 entries. Nothing else grows with the input.
package dhcp
