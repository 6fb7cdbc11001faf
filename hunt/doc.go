// Package hunt finds tunnels, exfiltration, beacons, scans and other suspicious behaviour in the tables that
// pcapframe builds from captures (packets, flows, dns, tls), and explains each finding.
//
// # Detectors
//
// A detector is one readable SQL file (a Rule): a header of comment lines that says what it finds, which tables
// it needs, its thresholds as named parameters with their defaults and where each comes from, then one SELECT
// over the tables. The built-in detectors are the files of rules/, embedded in the binary (Builtin); LoadDir
// reads more from a directory, and a file named like a built-in one replaces it. A parameter is written
// ${name} in the query and declared in the header:
//
//	-- param min_queries = 20   fewest queries to a base domain before it is judged (Zeek dns-tunnels scripts use 100 per 5 min)
//
// Render substitutes the numbers (only numbers: a parameter can never inject SQL).
//
// # Findings
//
// Run creates the table findings and inserts the rows of every detector whose tables exist. Each detector's
// SELECT returns the columns listed in Columns (score and its parts, actor, target, first and last time,
// supporting numbers as JSON text, the flows and frames involved, a flow to follow and a query to dig in); Run
// adds the detector name, the severity derived from the score (Severity) and the exact commands to dig in,
// written for the inputs given (pcapframe follow ..., pcapframe sql ... -e "..."). The findings table stays
// in the database, so that `pcapframe sql` can read it too.
//
// This package does not import DuckDB: Run takes any DB (query.Engine is one).
package hunt
