// Package agg computes the numbers behind pcapframe's charts and HTML report: readable SQL over the packets
// table of an internal/query engine (a capture decoded into DuckDB, or the Parquet output of `pcapframe convert`).
//
// # Queries
//
// Each aggregate is one SQL constant in sql.go. Bar charts group the packets by a dimension (source or
// destination address, source or destination port with its service name, service, protocol, conversation)
// and rank the groups by packets, bytes (frame length on the wire) and payload (transport payload length, the
// notebook's column) at once, so one query serves every metric; the rest of the groups are summed into an
// "other" bar from the totals. The dimensions follow `pcapframe stats`: ports are per transport protocol and
// named from the services table, a packet's service is that of its destination port else its source port, a
// conversation puts the lower (address, port) first, and the top talker is the source of the most packets. The
// time series counts every interval from the first packet, empty ones included, as `stats` and
// `tshark -z io,stat` do.
//
// Nothing here reads a capture: everything goes through the engine, so captures and Parquet files give the same
// numbers.
package agg
