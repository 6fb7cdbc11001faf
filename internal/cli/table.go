package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/tables"
)

// TableOptions are the flags of a table command (dns, tls, ...).
type TableOptions struct {
	DerivedOptions
}

// NewCmdTable builds the command that prints one protocol table of the list (`pcapframe dns`, `pcapframe tls`)
// as `pcapframe flows` prints flows: the same flags (--format, -o, --columns) over the table's definition, so
// that every table of the list gets its command with one line in root.go. short is the command's one-line
// description.
func NewCmdTable(io *IO, def *tables.Def, short string) *cobra.Command {
	o := &TableOptions{}
	name := def.Name()
	cmd := &cobra.Command{
		Use:   name + " INPUT... [--format table|csv|jsonl|parquet] [-o FILE]",
		Short: short,
		Long: def.Info.TableDoc() + `

The inputs are read once, as one capture; their flows are tracked as 'pcapframe flows' tracks them, and each row
joins the flows table on uid (or community_id). --format table (the default on a terminal) prints aligned text
with the default columns unless --columns says otherwise; csv (the default when piped), jsonl and parquet write
the default columns too (--columns all: every column). With -o FILE the format comes from the file's extension;
the file is written atomically.

Columns of the ` + name + ` table (* marks the default selection):
` + def.Info.Help(),
		Example: "  pcapframe " + name + " capture.pcap\n  pcapframe " + name + " capture.pcap -o " + name + ".parquet --columns all\n" +
			"  pcapframe convert capture.pcap --tables flows," + name + " -o tables/",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := o.resolve(io, args)
			if err != nil {
				return err
			}
			return writeTable(cmd.Context(), io, def, o.DerivedOptions, tables.Options{}, inputs, nil)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// tableCommands returns the commands of the protocol tables of the list (those after packets, flows and
// endpoints, which have commands of their own): one per table, described by the first sentence of its doc.
func tableCommands(io *IO) []*cobra.Command {
	var out []*cobra.Command
	for _, d := range protocolTables() {
		out = append(out, NewCmdTable(io, d, tableShort(d)))
	}
	return out
}

// protocolTables returns the tables of the list that have no command of their own.
func protocolTables() []*tables.Def {
	var out []*tables.Def
	for _, d := range tables.List() {
		if d != tables.Packets && d != tables.Flows && d != tables.Endpoints {
			out = append(out, d)
		}
	}
	return out
}

// tableShort is the one-line description of a table's command: the first sentence of its doc.
func tableShort(d *tables.Def) string {
	short := d.Info.TableDoc()
	if i := strings.Index(short, ". "); i >= 0 {
		short = short[:i]
	}
	return "List the " + d.Name() + " table: " + strings.TrimSuffix(short, ".")
}
