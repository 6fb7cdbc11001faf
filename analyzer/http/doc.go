// Package http is the analyzer of the http table: one row per HTTP/1.x request and its response over
// reassembled TCP, with the columns of Zeek's http.log. Its message parser (Parser), connection reader (Conn)
// and object pipeline (File, FileSink) are exported so that package files builds its HTTP objects with the
// same code.
package http
