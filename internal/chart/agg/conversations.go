package agg

import (
	"context"
	"fmt"

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
