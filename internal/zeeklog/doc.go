// Package zeeklog writes pcapframe's tables as Zeek logs: conn.log, dns.log, ssl.log (and the other logs whose
// tables exist), in Zeek's tab-separated ASCII format or in its JSON format, so that tools built for Zeek logs
// read pcapframe's output without Zeek (`pcapframe convert INPUT... --format zeek -o DIR`).
//
// # Logs are mappings
//
// A log is a declaration, not a writer: a Def names the Zeek log (its path, "conn"), the table whose rows it
// reads (a schema.Table, the flows table for conn.log) and, for each Zeek field in Zeek's order, its name, its
// Zeek type and where its value comes from: a column of the table by name, a function of the row where Zeek's
// rule needs one (conn.log leaves duration, orig_bytes and resp_bytes unset when the duration is zero), or
// nothing (a field pcapframe cannot compute, always unset). One generic writer reads any declaration and
// encodes every value by its Zeek type; adding a log is one more declaration in the list of logs.go. Each
// declaration is checked against its table when the package loads (the column exists and its type fits the
// Zeek type).
//
// # Format
//
// The TSV format is Zeek's ASCII writer with its defaults (LogAscii::enable_utf_8 = T): the header lines
// #separator \x09, #set_separator ",", #empty_field (empty), #unset_field -, #path, #open, #fields, #types,
// then one line per row and #close. Times and intervals have six decimals; doubles at most six, with ".0" when
// integral; bools are T and F; ports are numbers; sets and vectors are their elements joined by ",", (empty)
// when they have none. In strings, bytes below 0x20, 0x7f, a backslash, bytes that are not valid UTF-8 and,
// inside a set or vector, the comma are written \xHH (lower-case hex); a string that is exactly "-" or
// "(empty)" has its first byte escaped; an empty string is (empty); an unset field is -. The JSON format is
// Zeek's JSON writer (LogAscii::use_json = T, JSON::TS_EPOCH): one object per row, the fields under Zeek's
// names ("id.orig_h"), unset fields left out, times as seconds since the epoch, sets and vectors as arrays,
// bytes that are not valid UTF-8 as \xHH in the string.
//
// #open and #close are packet time, not the wall clock (Zeek writes the wall-clock time at which it opened and
// closed the file): the earliest ts of the log's rows and the latest ts (ts plus duration for conn.log), in
// UTC, as Zeek's "%Y-%m-%d-%H-%M-%S". As Zeek does, a log with no rows is not written at all.
//
// docs/ZEEK.md lists every log's fields, where each comes from and which ones are always unset.
package zeeklog
