package files

import "github.com/pcapframe/pcapframe/analyzer"

type ftpConn struct{}

func newFTP(*conn) *ftpConn                           { return nil }
func (*ftpConn) data(bool, []byte, int64, int64) bool { return false }
func (*ftpConn) gap(bool)                             {}

type ircConn struct{}

func newIRC(*conn) *ircConn                           { return nil }
func (*ircConn) data(bool, []byte, int64, int64) bool { return false }
func (*ircConn) gap(bool)                             {}

type dataConn struct{}

func newDataConn(*conn, *expectation) *dataConn    { return nil }
func (*dataConn) write(bool, []byte, int64, int64) {}
func (*dataConn) gap(bool, int64, int64, int64)    {}
func (*dataConn) end()                             {}

type expectation struct{}
type expectations struct{}

func newExpectations() expectations                   { return expectations{} }
func (expectations) take(*analyzer.Flow) *expectation { return nil }
