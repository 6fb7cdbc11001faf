package agg

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/internal/query"
)

// ConversationCount returns the number of conversations, grouped as stats' conversations section groups them.
func ConversationCount(ctx context.Context, e *query.Engine) (int64, error) {
	var n int64
	if err := e.Conn().QueryRowContext(ctx, sqlConversationCount).Scan(&n); err != nil {
		return 0, fmt.Errorf("count conversations: %w", err)
	}
	return n, nil
}

// ProtoNumber returns the protocol number of a name that proto_name gives (tcp, udp, sctp, icmp, icmpv6, or
// the number itself).
func ProtoNumber(name string) (int, bool) {
	switch name {
	case "tcp":
		return 6, true
	case "udp":
		return 17, true
	case "sctp":
		return 132, true
	case "icmp":
		return 1, true
	case "icmpv6":
		return 58, true
	}
	n, err := strconv.Atoi(name)
	return n, err == nil && n >= 0 && n < 256
}

// Chunk is one packet's payload in a conversation.
type Chunk struct {
	AToB  bool   `json:"a_to_b"` // sent from endpoint a (the lower address and port) to b
	Frame int64  `json:"frame"`
	Time  int64  `json:"time_ns"`
	Data  []byte `json:"data"` // base64 in JSON
}

// PayloadPreview is the beginning of a conversation's payload.
type PayloadPreview struct {
	Chunks []Chunk `json:"chunks"`
	// AllChunks and AllBytes count the conversation's payload chunks and bytes (retransmissions once);
	// the preview holds the first of them only when they exceed the limits.
	AllChunks int64 `json:"all_chunks"`
	AllBytes  int64 `json:"all_bytes"`
	Shown     int64 `json:"shown_bytes"`
}

// PayloadOf returns the first payload chunks of the conversation (proto, a:portA, b:portB) in capture order, at
// most maxBytes bytes in at most maxChunks chunks; ports are nil for protocols without ports.
func PayloadOf(ctx context.Context, e *query.Engine, proto int, a string, portA any, b string, portB any, maxBytes, maxChunks int) (*PayloadPreview, error) {
	q := strings.NewReplacer("$max_bytes", strconv.Itoa(maxBytes), "$max_chunks", strconv.Itoa(maxChunks)).Replace(sqlPayload)
	rows, err := e.Conn().QueryContext(ctx, q, proto, a, portA, b, portB)
	if err != nil {
		return nil, fmt.Errorf("payload preview: %w", err)
	}
	defer rows.Close()
	p := &PayloadPreview{Chunks: []Chunk{}}
	for rows.Next() {
		var c Chunk
		var source string
		var chunks, total sql.NullInt64
		if err := rows.Scan(&c.AToB, &source, &c.Frame, &c.Time, &c.Data, &chunks, &total); err != nil {
			return nil, fmt.Errorf("payload preview: %w", err)
		}
		p.AllChunks, p.AllBytes = chunks.Int64, total.Int64
		if left := int64(maxBytes) - p.Shown; int64(len(c.Data)) > left {
			c.Data = c.Data[:left]
		}
		p.Shown += int64(len(c.Data))
		p.Chunks = append(p.Chunks, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("payload preview: %w", err)
	}
	return p, nil
}
