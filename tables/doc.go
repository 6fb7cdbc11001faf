// Package tables is the one list of the tables pcapframe builds from captures, and the one pass that builds
// them.
//
// # The list
//
// List returns the table definitions in order: packets, flows, endpoints, then the protocol tables of the
// analyzers (package analyzer). Every consumer reads it: `pcapframe convert --tables`, `pcapframe schema` and
// docs/SCHEMA.md, the SQL loader (`sql`, `stats`, `report`), the per-table commands (flows, endpoints, dns,
// tls) and --help. A definition (Def) gives the table's schema (a schema.Info), the columns DuckDB derives
// instead of storing, and how a run builds the table. Adding a protocol table is one package under analyzer/
// (its schema.Table and an analyzer.Analyzer) and one line in the list:
//
//	Analyzer(dns.Table, dns.New),
//
// # The pass
//
// Run (or a Pass fed batch by batch) reads the inputs once and builds any selection of the tables:
//
//   - batch builders (the packets table, endpoints) take every batch of decoded packets, each from a queue on
//     a goroutine of its own, so that encoding the packet table overlaps everything else (a batch of
//     pipeline.Run is kept until every builder is done with it: pipeline.Batch.Keep);
//   - one flow.Tracker gives every packet its flow (uid, Community ID, direction); each analyzer sees every
//     packet of every flow with that identity (analyzer.Analyzer.Packet);
//   - a TCP connection that some analyzer may want (analyzer.StreamFilter) is reassembled (one stream.TCP) and
//     offered to every analyzer once, at its first bytes or gap (Stream); the pass feeds every handler the
//     in-order bytes of each direction, gaps as gaps, then End. A connection that carries nothing is never
//     offered;
//   - when the tracker ends a flow, the pass asks the analyzers of the run that implement analyzer.Service for
//     its service (an analyzer's answer replaces the flows table's port-based guess; none keeps it), calls
//     FlowEnd, and writes the flows row.
//
// With only packets and flows selected, the pass does what the flows command and the SQL loader did before it:
// the flows rows are those of a flow.Tracker over the same packets, at the same cost. A run that also builds
// the dns or tls table (convert --tables, the SQL loader) names the services those analyzers recognise; across
// the corpus that changes one flow (mDNS over fragmented IPv6, "" to "dns"). Options.Services runs the
// service-naming analyzers for every run of the flows table, so that its service column never depends on the
// other tables selected, at the cost of their parsing.
//
// # Memory
//
// The tracker caps the flows tracked at once (flow.Options.MaxFlows); at most Options.MaxStreams connections
// are reassembled at once, each holding at most Stream.MaxBuffer out-of-order bytes per direction (64 KiB by
// default; beyond it the hole is given up and reported as a gap) and no delivered bytes. Rows are written in
// batches of 1,024. A connection whose stream handlers all say they are done (analyzer.StreamDone: tls once the
// handshake is established or the connection is not TLS) is no longer reassembled.
//
// The writers of Def.NewWriter hold one Parquet row group each until it is written: 8 MiB of values for the
// packets table (wideRowGroupBytes), 4 MiB for the others (narrowRowGroupBytes), whose 32 KiB pages and 64 KiB
// blocks keep each of their many columns small, so that each table added to a run adds a few MB. Asked to
// (Options.MemoryLimit BudgetMemoryLimit, as convert --tables does), Run sets a soft memory limit for a run of
// several tables (MemoryBudget: a base plus a share per table), kept at least an eighth above the live heap, so
// that the collector does not let the heap grow to twice its live size. BENCHMARKS.md ("All tables in one pass")
// has the measurements.
//
// # Notes
//
// The pass counts the notes of the rows it writes, per table and kind (Stats.Notes, NoteKind), for every table
// with a String column called note (packets, dns, tls and the other protocol tables), as Zeek's weird.log counts
// what it found wrong; at most 256 kinds per table, the others together.
//
// # Rows and writers
//
// A builder writes its rows to a Writer, which takes a []R of the table's row type as an any: the consumer
// chooses it (Def.NewWriter for Parquet, CSV or JSON Lines files, Def.NewText for aligned text, a staging
// writer in the SQL loader), so the list and the pass stay free of output concerns and of cgo.
package tables
