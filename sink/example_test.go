package sink_test

import (
	"fmt"
	"os"

	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
)

type dnsRow struct {
	TS     int64
	Query  string
	TTL    int32
	HasTTL bool
}

var dnsTable = &schema.Table[dnsRow]{
	Name: "dns",
	Doc:  "DNS queries.",
	Columns: []schema.Column[dnsRow]{
		{Name: "ts", Type: schema.Timestamp, Doc: "Time of the query.", Int: func(r *dnsRow) (int64, bool) { return r.TS, true }},
		{Name: "query", Type: schema.String, Doc: "Queried name.", Append: func(r *dnsRow, dst []byte) ([]byte, bool) {
			return append(dst, r.Query...), true
		}},
		{Name: "ttl", Type: schema.Int32, Doc: "TTL of the first answer, in seconds.", Int: func(r *dnsRow) (int64, bool) {
			return int64(r.TTL), r.HasTTL
		}},
	},
}

func ExampleNew() {
	rows := []dnsRow{
		{TS: 1376427012123456789, Query: "example.com", TTL: 300, HasTTL: true},
		{TS: 1376427012500000000, Query: "=cmd|' /C calc'!A0"},
	}
	for _, format := range []sink.Format{sink.CSV, sink.JSONL} {
		w, err := sink.New(dnsTable, format, os.Stdout, sink.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := w.Write(rows); err != nil {
			fmt.Println(err)
		}
		if err := w.Close(); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// ts,query,ttl
	// 2013-08-13T20:50:12.123456789Z,example.com,300
	// 2013-08-13T20:50:12.500000000Z,'=cmd|' /C calc'!A0,
	// {"ts":1376427012.123456789,"query":"example.com","ttl":300}
	// {"ts":1376427012.500000000,"query":"=cmd|' /C calc'!A0","ttl":null}
}

func ExampleCreate() {
	dir, err := os.MkdirTemp("", "sink")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := dir + "/dns.parquet"

	w, err := sink.Create(dnsTable, sink.Parquet, path, sink.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort() // removes the temporary file unless Close succeeded
	if err := w.Write([]dnsRow{{TS: 1376427012123456789, Query: "example.com"}}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Println("before Close:", "no file")
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	if fi, err := os.Stat(path); err == nil {
		fmt.Println("after Close:", fi.Name())
	}
	// Output:
	// before Close: no file
	// after Close: dns.parquet
}

func ExampleFormatFromPath() {
	for _, path := range []string{"out/packets.parquet", "flows.csv", "dns.ndjson", "notes.txt"} {
		f, err := sink.FormatFromPath(path)
		fmt.Println(f, err)
	}
	// Output:
	// parquet <nil>
	// csv <nil>
	// jsonl <nil>
	//  cannot tell the output format of "notes.txt": unknown extension ".txt" (use .parquet, .csv or .jsonl)
}
