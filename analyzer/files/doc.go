// Package files is the analyzer of the files table: one row per object carried by HTTP (package http's objects:
// each body, each multipart/form-data part, both directions), with the object's hashes (MD5, SHA-1, SHA-256),
// entropy and MIME type detected from its content; SMTP, FTP data and IRC DCC SEND objects are added in this
// package (see stubs.go while they are not).
package files
