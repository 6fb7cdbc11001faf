package report

import (
	"math"
	"math/big"
	"time"

	"github.com/pcapframe/pcapframe/internal/chart"
)

// printable makes text from a capture safe to show (see chart.Printable).
func printable(s string) string { return chart.Printable(s) }

// jsonValue turns a value from DuckDB into one that encodes to JSON as the page expects: integers as int64,
// timestamps as RFC 3339 strings in UTC, blobs as text, NaN and infinities as null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return jsonValue(float64(x))
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case int:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	return v
}
