// Package query is pcapframe's SQL engine: an embedded DuckDB database holding the tables of the inputs, and the
// statistics that `pcapframe stats` computes with readable SQL over them.
//
// # Tables
//
// Every table is defined once, as a schema.Table (package schema). From captures, the rows that pipeline.Run
// decodes are written by Stager, through the same Parquet writer as `pcapframe convert` (package sink, here
// uncompressed), to a file in the engine's private staging directory, with no text round-trip. An in-memory
// engine makes the table a view over that file, which DuckDB scans in parallel without holding the rows in memory;
// with a database file the engine creates the table from its schema (CREATE TABLE) and fills it with one INSERT
// ... SELECT FROM read_parquet, then removes the file. The captures are decoded once
// for all tables, by the one pass of package tables, whose list (packets, flows, endpoints, then the protocol
// tables such as dns and tls) says which tables are built from captures. A column that is a function of another (payload_hex) is a virtual generated column, computed by
// DuckDB when read. Parquet files and directories written by `pcapframe convert` or `pcapframe flows` are not
// decoded again: each becomes a view over read_parquet of its files, named after the table whose columns it holds.
// The services table names well-known ports, and the macro proto_name(proto) names transport protocols.
//
// With a database file (Options.Path), the tables stay in the file with a record of their inputs (names, sizes,
// modification times); a later Load of the same inputs reuses them without decoding.
//
// # Safety
//
// DuckDB runs in the process with a memory limit (Options.MemoryLimit, half of the machine's memory by default)
// and a private temporary directory to spill to, so a large input slows down instead of failing. After the inputs
// are loaded, Lock switches off DuckDB's access to external files and locks the configuration, so that a query can
// read the inputs and nothing else and cannot write files; Options.AllowFiles keeps access open. A text of several
// statements is cut where DuckDB's own parser ends them (Statements, which asks duckdb_extract_statements, see
// statements.go), and each statement is checked and run alone.
//
// # Results
//
// Query's rows stream from DuckDB as they are read (its streaming results; see stream.go for how, since the
// driver materialises every result): a result is never held whole, in DuckDB or here, and a cancelled context
// interrupts the query while its rows are read. Write and WriteFile pass them to the writers in batches bounded in
// rows and bytes; the table and Markdown formats hold at most WriteOptions.MaxRows rows and MaxTextBytes of text.
//
// # Statistics
//
// Stats runs the sections of `pcapframe stats`, each one SQL query over the packets table that is kept as text in
// this package (see Sections), and returns their results for rendering as aligned tables with inline bars or as
// JSON. The queries aggregate before they join or split (ports are named after they are counted, protocol stacks
// split once per distinct stack), and pandas' describe reads the table three times whatever its number of
// columns: once for count, mean, std, min and max of every numeric column, once for their quartiles and once,
// with GROUPING SETS, for the value counts of every other column. Over StatsOptions.ApproxRows rows (one million
// by default) and unless StatsOptions.Exact, the quartiles are those of a deterministic sample of about that many
// rows and binary columns are grouped by hash, so that time and memory stay bounded; every other figure is exact.
//
// Only this package and the command line import DuckDB (cgo); the decoding core stays free of cgo.
package query
