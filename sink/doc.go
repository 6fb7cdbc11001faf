// Package sink writes tables defined by package schema to Parquet, CSV and JSON Lines.
//
// A writer is driven only by the table: it reads each value through the column's accessor and encodes it by the
// column's Type, so one writer serves every table. Rows go in batches:
//
//	w, err := sink.Create(table, sink.Parquet, "packets.parquet", sink.Options{})
//	if err != nil {
//		return err
//	}
//	defer w.Abort() // after a successful Close, Abort does nothing
//	for batch := range batches {
//		if err := w.Write(batch); err != nil {
//			return err
//		}
//	}
//	return w.Close()
//
// Write only reads the rows during the call and keeps no reference to them, so the caller may reuse a batch and
// everything it points to as soon as Write returns. A writer is not safe for concurrent use.
//
// # Files and streams
//
// New writes to an io.Writer such as standard output and never closes it. Create writes a file atomically: the
// rows go to a hidden temporary file next to the final one (".NAME.tmp-XXXXXXXX"), which Close renames to the
// final path once everything was written. Until then a file already at the path stays as it was; Abort, or a Close
// that fails, removes the temporary file, so a reader never sees a partial file and nothing is left behind. The file
// is created with mode 0666 before umask, like os.Create, and is not synced to disk.
//
// After any error the writer is broken: Write and Close return that error, and a file is not published.
//
// # Parquet
//
// Every column is OPTIONAL (absent values are NULL), in table order, with these physical and logical types:
//
//	Bool       BOOLEAN
//	Int32      INT32
//	Int64      INT64
//	Float64    DOUBLE
//	Timestamp  INT64, TIMESTAMP(isAdjustedToUTC=true, unit=NANOS)
//	String     BYTE_ARRAY, STRING, dictionary-encoded
//	Bytes      BYTE_ARRAY, PLAIN-encoded
//	StringList   LIST of String elements (DuckDB VARCHAR[])
//	Int64List    LIST of Int64 elements (BIGINT[])
//	Float64List  LIST of Float64 elements (DOUBLE[])
//
// parquet-go also marks Int32 and Int64 with the INT(32|64, signed) logical type, which says the same.
//
// A list column is the standard three-level LIST of the Parquet spec (LogicalTypes.md, "Lists"), which DuckDB,
// Arrow, Spark and pandas read as a list:
//
//	optional group <name> (LIST) {
//	  repeated group list {
//	    optional <element type> element;
//	  }
//	}
//
// Its leaf column (path <name>.list.element) has repetition and definition levels: a NULL list is one level
// (repetition 0, definition 0), an empty list one level (0, 1), and a list of n elements n levels, the first with
// repetition level 0 and the others 1, all with definition level 3. Definition level 2, a NULL element, never
// occurs, as the accessors return plain values, but the element is OPTIONAL as most writers make it. Elements are
// encoded as the scalar columns of their type are (String elements dictionary-encoded with the same UTF-8 rule,
// Int64 elements DELTA_BINARY_PACKED), and the chunk statistics and page index bound the elements; a page's null
// count is its NULL and empty lists. Pages hold whole rows (a DataPage v2 starts at a row), so a list longer than
// a page makes one larger page.
//
// Timestamps are written as TIMESTAMP(isAdjustedToUTC=false, NANOS): DuckDB 1.x reads that as TIMESTAMP_NS with
// every nanosecond, whereas it reads an isAdjustedToUTC=true column as TIMESTAMP WITH TIME ZONE, which has
// microseconds only. The stored numbers are UTC nanoseconds either way; Options.TimestampUTC sets the flag.
//
// The STRING logical type promises UTF-8, and readers hold the file to it (DuckDB refuses to scan a file with one
// invalid string), so each byte of a String value that is not valid UTF-8 is written as the text \xHH, as in JSON
// Lines; valid text is written as it is.
//
// Pages are compressed with zstd by default, at its fastest level: on packet tables that takes 40% less CPU
// time than zstd's default level for files 2–3% larger. Its encoders have a 1 MiB window (pages are about
// Options.PageBytes) and stay in a free list shared by all writers, where the library's 8 MiB default gave each
// a 16 MiB history buffer that every garbage collection threw away. Bytes columns are the exception: under zstd they are
// compressed with Snappy instead (the column chunk's codec says so; every reader has both). Payload bytes
// compress poorly (by about 30% on real traffic, much of it encrypted) and zstd spent most of a packet table's
// write time on them; S2's Snappy-compatible encoder compresses them three times as fast for output 2% larger.
// A payload page of 64 KiB or more is first sampled (four 4 KiB blocks spread over it, compressed together)
// and compressed only if the sample shrinks to 70% or less; otherwise the page is stored as it is (a DataPage v2
// says per page whether it is compressed). On the 1M-packet bench capture, a fifth of the payload pages shrink by
// half or more and hold most of what compression saves, while the pages that would shrink little cost most of
// its time: sampling made `convert` about 15% cheaper in CPU time for a file about 10% larger.
// Snappy (through S2's encoder for every column) and no compression are there for readers that need them
// (Options.Compression); with the encodings below, Snappy files of packet tables are as small as zstd's and
// take about 10% less CPU time to write.
//
// Int32, Int64 and Timestamp columns are DELTA_BINARY_PACKED encoded (each value minus the one before,
// bit-packed in blocks of 128), which readers such as DuckDB, Arrow and Spark decode. Packet fields are mostly
// small or slowly changing numbers, so the pages shrink before they are compressed and compression gets cheaper:
// on a capture without payloads, writing took about 15% less CPU time than PLAIN for a file 4% larger (frame
// numbers, times and checksums shrink; ports and sequence numbers compress better PLAIN).
//
// Together, Snappy payloads and delta-encoded integers made converting a capture with payloads to Parquet about
// 35% cheaper in CPU time, for a file 2% larger.
//
// String columns start every row group dictionary-encoded and fall back to plain encoding once the dictionary
// passes 1 MiB, so that low-cardinality strings (addresses, host names) shrink while high-cardinality ones
// (payload hex) stop paying for a dictionary early. Column chunks carry min/max statistics and a page index,
// except Bytes columns, whose bounds would help no query.
//
// # Parquet row groups and memory
//
// The file is written in one pass. A writer buffers one row group at a time, compressed page by page, and writes
// it out when it holds Options.RowGroupRows rows (122,880 by default, DuckDB's own row group size) or when its
// values reach Options.RowGroupBytes uncompressed (32 MiB by default, which bounds the memory held for wide
// rows such as packets with payloads). Pages are cut at about Options.PageBytes of uncompressed values (256 KiB).
// A writer therefore holds at most about one compressed row group, plus one uncompressed page and (for String
// columns) a dictionary of about 1 MiB per column.
//
// # Parquet write path
//
// By default the writer encodes the file itself rather than through parquet-go's writer (direct.go). It takes up
// to 4,096 rows (chunkRows) at a time and, column by column, reads the values through the accessors straight into typed page
// buffers: definition levels (one byte per row, RLE/bit-packed with bit width 1 when the page is cut; a list column
// keeps repetition and definition levels, one byte per level, bit widths 1 and 2), int32 or
// int64 values, float64s, booleans, dictionary indexes, or PLAIN byte arrays (the accessor appends the value after
// a 4-byte length placeholder). A page is cut at Options.PageBytes: encoded with parquet-go's DELTA_BINARY_PACKED
// and RLE encoders, compressed with the codecs above and appended, behind its DataPage v2 header, to the column's
// chunk, held in 256 KiB blocks until the row group is written; a page of byte arrays of 64 KiB or more that is
// stored uncompressed joins the chunk as it is, without a copy, and the column starts its next page in another
// buffer. Blocks and page buffers stay with their column from one row group to the next, and number columns get
// their page of values at full size from the start. A column's second and later blocks, and the page buffers
// that join chunks, are cut from slabs that the kernel may back with huge pages (package hugepage): with 4 KiB
// pages, page faults took a tenth of the time of a conversion; a column's first block stays
// in ordinary pages, as most columns fill only part of it. A column whose pages are under 256 KiB (the narrow tables
// of package tables, 32 KiB pages) keeps its chunk in 64 KiB blocks of ordinary memory instead, so that each of
// their many columns holds a quarter of a block rather than a whole one. The thrift structs and the compact-protocol
// encoder of the page headers, page index and footer are parquet-go's, and the schema elements are copied from
// an empty file that parquet-go writes for the same schema, so readers see exactly the same types.
//
// A data page v2 says whether it is compressed, so a page whose compressed size is more than 97% of its size is
// stored uncompressed; after such a page, an Int32, Int64, Timestamp, Float64 or Bool column (checksums, IP IDs,
// sequence numbers) does not try the next 8 pages. String columns use a dictionary per row group as above (the
// value of the row before is checked first, so runs of one address skip the hash lookup), and the statistics and
// page index carry min/max (String bounds cut to 64 bytes) and null counts.
//
// Skipping parquet-go's per-value path ([]parquet.Value, its column buffers and statistics) made converting a
// 1M-packet capture (28 columns with payloads, one core) take 40% less CPU time for a file 1% smaller. Setting
// directParquet to false selects the parquet-go writer below, which is kept for comparison.
//
// The parquet-go writer does not build a parquet.Row per row either. It takes up to 1,024 rows at a time and,
// column by column, reads the values through the accessors into one reused []parquet.Value with the definition
// level set (String and Bytes values are first appended to one reused arena), then hands the batch to that
// column's parquet.ColumnWriter with WriteRowValues.
//
// Both writers let columns be encoded in parallel: Options.Workers goroutines (GOMAXPROCS by default, the caller's
// included) share out the columns of each batch. The accessors of a table are therefore called from several
// goroutines at once on the same rows, which is safe as long as they only read the row, as accessors should.
// Close or Abort must be called to stop the workers.
//
// # CSV
//
// A header row of the column names comes first, also for a table without rows. Records end in "\n"; a field is
// quoted, with its quotes doubled, when it contains a comma or a quote (RFC 4180). An absent value is an empty
// field, and a present empty String is written as "" so that a reader can tell them apart (DuckDB does with
// read_csv(..., allow_quoted_nulls = false)). Values:
//
//   - Bool: true or false. Int32 and Int64: decimal.
//   - Float64: the shortest decimal that reads back as the same float ('g' format), NaN, Inf or -Inf.
//   - Timestamp: by default ISO 8601 in UTC with nine decimals, such as 2013-08-13T20:50:12.123456789Z, which
//     pd.read_csv(..., parse_dates=[...]) and spreadsheets read as times; with Options.TimeFormat TimeEpoch,
//     seconds since the Unix epoch with exactly nine decimals, such as 1376427012.123456789 or -0.000000001
//     (times before 1970 are negative, the fraction counted away from zero); with TimeNanos, integer
//     nanoseconds.
//   - Bytes: standard base64 with padding; a value whose base64 starts with + (such as +A1+A1+A, which a
//     spreadsheet reads as a formula) gets a leading single quote, which is not in the base64 alphabet.
//   - String: sanitised for safe display. Every byte that is not part of a graphic UTF-8 character (see
//     strconv.IsGraphic: control characters including tab, CR and LF, format characters such as bidirectional
//     overrides, line and paragraph separators, and invalid UTF-8) is written as the four characters \xHH, and a
//     backslash as \\, so the field is one printable line and the original bytes can be recovered exactly. To
//     defuse spreadsheet formula injection, a value that starts with =, +, - or @, other than a number such as -12
//     or +1.5e3, gets a leading single quote, as does a value that already starts with single quotes followed by
//     such a character (so that a reader can remove exactly one quote where the rest needs one). A value starting
//     with tab or CR, the other characters OWASP's advice on CSV injection names, starts its field with \x09 or
//     \x0d. So no String or Bytes field starts with =, +, -, @, tab or CR unless it is a number or that
//     one character alone. Numbers (Int32, Int64, Float64, Timestamp) are no text and are written as they are:
//     -12, -Inf.
//   - StringList, Int64List, Float64List: the list as one JSON array, written as in JSON Lines (below), such as
//     ["a","b\"c"], [1,-2] or [] for an empty list; a NULL list is an empty field. The field is quoted as any
//     other (RFC 4180: a list of two or more elements, or of strings, is in double quotes with its quotes doubled)
//     but does not get the String escapes, so that it parses as JSON once the CSV reader has unquoted it: pandas
//     users read it with df[col].map(json.loads, na_action="ignore") and DuckDB with from_json(col, '["VARCHAR"]')
//     (or '["BIGINT"]', '["DOUBLE"]'). The String guarantees still hold: the JSON string escapes leave only
//     graphic characters (control, format and separator characters are \uXXXX, invalid UTF-8 the text \xHH, as
//     in JSON Lines), and the field starts with [, so no spreadsheet reads it as a formula. Unlike JSON Lines,
//     a NaN or infinite element is written NaN, Infinity or -Infinity, which Python's json module and DuckDB's
//     JSON reader accept, so that no value is lost.
//
// pandas reads the escapes literally (a newline in a value is the four characters \x0a). One line undoes them,
// since every backslash in a String field starts \\ or \xHH (the formula guard's leading quote stays):
//
//	df[col] = df[col].map(lambda v: codecs.escape_decode(v.encode())[0].decode("utf-8", "surrogateescape"), na_action="ignore")
//
// Options.CSVRaw writes String values raw instead, for files that programs read and no one opens on a terminal or
// in a spreadsheet: the value's bytes unchanged (control characters, invalid UTF-8, a leading = included), the
// field in double quotes with its quotes doubled when it holds a comma, a quote, CR or LF or is empty (RFC 4180),
// and Bytes as plain base64. Any RFC 4180 reader gets the values back; pandas needs
// pd.read_csv(f, engine="python", encoding_errors="surrogateescape") for NUL bytes (its C engine ends a value at
// NUL) and invalid UTF-8, and keep_default_na=False to read "" as an empty string (it then reads an absent value
// as "" too).
//
// # JSON Lines
//
// Each row is one JSON object on one line, with the columns as keys in table order and null for an absent
// value. An empty table writes nothing. Values:
//
//   - Bool: true or false. Int32 and Int64: JSON numbers (beyond ±2^53 JavaScript readers lose precision).
//   - Float64: a JSON number in the shortest form ('g' format, such as 0.1 or 1e+21); NaN and ±Inf are null.
//   - Timestamp: seconds since the Unix epoch with nine decimals, as a JSON number, like Zeek's ts field. Readers that parse
//     numbers as float64 keep only about 0.2 µs of it; readers with exact decimals (or Go's json.Number)
//     keep the nanoseconds.
//   - Bytes: a standard base64 string.
//   - StringList, Int64List, Float64List: a JSON array of the elements, each written as the scalar of its type
//     (a NaN or infinite element is null), and null for a NULL list; an empty list is []. A negative zero
//     element is -0.0 (not -0, which readers take for the integer 0).
//   - String: a JSON string that decodes to the value exactly when the value is valid UTF-8. Control characters,
//     DEL, non-graphic characters (format characters, line and paragraph separators) and < > & are escaped
//     (\n, \t, \u001b, \u202e, \u003c, ...), so a line contains no raw control character and is safe to embed in
//     HTML. Bytes that are not valid UTF-8 cannot be put in a JSON string as they are; rather than replacing them
//     with U+FFFD, which would lose them, each one becomes the text \xHH (written \\xHH in the JSON source). Only
//     for such values is the decoded string different from the original, and a literal "\x" in the original text
//     is then indistinguishable from an escape.
//
// # Why not encoding/csv and encoding/json
//
// Both allocate for every row (encoding/csv takes a []string, encoding/json reflects over values and builds maps
// or structs), and neither offers the escaping above. The text encoders here append each row straight into one
// reused buffer with strconv.Append* and hand it to the io.Writer in 64 KiB pieces (the effect of a bufio.Writer
// without copying each row a second time). Once the buffers have grown, writing a row allocates nothing; the
// plain runs of a string are scanned eight bytes at a time.
package sink
