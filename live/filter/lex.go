package filter

import (
	"fmt"
	"strings"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF  tokKind = iota
	tWord         // keyword, number, address or name
	tOp           // operator or punctuation
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the expression
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of filter"
	}
	return fmt.Sprintf("%q", t.text)
}

// Limits that keep compiling a hostile expression cheap.
const (
	maxExprLen = 16 << 10
	maxTokens  = 4096
	maxDepth   = 200 // nesting of parentheses, brackets and operators
)

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '\\' || c == ':' || c == '.'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lex splits an expression into tokens. Inside brackets ("tcp[13:1]") a colon and a minus sign are operators;
// elsewhere they can be part of a word, as in "fe80::1", "00:11:22:33:44:55", "1-1024" and "tcp-syn".
func lex(s string) ([]token, error) {
	if len(s) > maxExprLen {
		return nil, fmt.Errorf("filter is longer than %d bytes", maxExprLen)
	}
	var toks []token
	depth := 0 // bracket depth
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isWordStart(c) && !(depth > 0 && c == ':'):
			j := i
			for j < len(s) {
				d := s[j]
				switch {
				case isAlnum(d) || d == '_' || d == '.' || d == '\\':
				case d == ':' && depth == 0:
				case d == '-' && depth == 0 && j > i && isAlnum(s[j-1]) && j+1 < len(s) && isAlnum(s[j+1]):
				default:
					goto done
				}
				j++
			}
		done:
			toks = append(toks, token{tWord, s[i:j], i})
			i = j
		default:
			op := ""
			for _, o := range []string{"&&", "||", "<<", ">>", "==", "!=", "<=", ">="} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("()[]:+-*/%&|^=<>!", rune(c)) {
					return nil, fmt.Errorf("unexpected character %q at offset %d", rune(c), i)
				}
				op = s[i : i+1]
			}
			switch op {
			case "[":
				depth++
			case "]":
				if depth > 0 {
					depth--
				}
			}
			toks = append(toks, token{tOp, op, i})
			i += len(op)
		}
		if len(toks) > maxTokens {
			return nil, fmt.Errorf("filter has more than %d tokens", maxTokens)
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(s)})
	return toks, nil
}
