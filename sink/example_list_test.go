package sink_test

import (
	"fmt"
	"os"

	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
)

type answerRow struct {
	Query   string
	Answers []string // nil: no response
	TTLs    []int64
}

var answerTable = &schema.Table[answerRow]{
	Name: "answers",
	Doc:  "DNS answers.",
	Columns: []schema.Column[answerRow]{
		{Name: "query", Type: schema.String, Doc: "Queried name.", Append: func(r *answerRow, dst []byte) ([]byte, bool) {
			return append(dst, r.Query...), true
		}},
		{Name: "answers", Type: schema.StringList, Doc: "Answers.", Strings: func(r *answerRow) ([]string, bool) {
			return r.Answers, r.Answers != nil
		}},
		{Name: "ttls", Type: schema.Int64List, Doc: "TTLs of the answers, in seconds.", Ints: func(r *answerRow) ([]int64, bool) {
			return r.TTLs, r.Answers != nil
		}},
	},
}

// List columns are JSON arrays in JSON Lines and in CSV, where the array is one (quoted) cell.
func ExampleNew_lists() {
	rows := []answerRow{
		{Query: "example.com", Answers: []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}, TTLs: []int64{300, 300}},
		{Query: "nxdomain.example", Answers: []string{}},
		{Query: "timeout.example"},
	}
	for _, format := range []sink.Format{sink.CSV, sink.JSONL} {
		w, err := sink.New(answerTable, format, os.Stdout, sink.Options{})
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
	// query,answers,ttls
	// example.com,"[""93.184.215.14"",""2606:2800:21f:cb07:6820:80da:af6b:8b2c""]","[300,300]"
	// nxdomain.example,[],[]
	// timeout.example,,
	// {"query":"example.com","answers":["93.184.215.14","2606:2800:21f:cb07:6820:80da:af6b:8b2c"],"ttls":[300,300]}
	// {"query":"nxdomain.example","answers":[],"ttls":[]}
	// {"query":"timeout.example","answers":null,"ttls":null}
}
