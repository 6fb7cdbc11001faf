package agg

// The aggregates, one SQL query each over the packets table. Placeholders: $top is the number of keys kept per
// metric, $interval_ns the width of a time interval in nanoseconds; the bar-chart query is completed per
// dimension from the parts in dims (bars.go). Sums are cast to BIGINT (DuckDB sums integers into HUGEINT);
// payload is the transport payload length, as the notebook's column, and counts 0 where a packet has none.

// sqlBars groups the packets by one dimension ($key, with $note beside it and $match columns for filtering) and
// ranks the groups by each metric ($measures: packets, bytes and payload, sqlMeasures unless $from is grouped
// already); it keeps the groups in the top $top of any metric, with the totals of all.
const sqlBars = `WITH p AS (              -- the packets counted
  SELECT * FROM packets $filter
), g AS (                -- one row per key
  SELECT
    $key                                      AS key,
    $note                                     AS note,$match
    $measures
  FROM $from
  WHERE $present
  GROUP BY ALL
), r AS (
  SELECT *,
    row_number() OVER (ORDER BY packets DESC, key) AS rank_packets,
    row_number() OVER (ORDER BY bytes DESC, key)   AS rank_bytes,
    row_number() OVER (ORDER BY payload DESC, key) AS rank_payload
  FROM g
)
SELECT r.*,
  t.keys, t.total_packets, t.total_bytes, t.total_payload
FROM r, (SELECT count(*) AS keys, sum(packets)::BIGINT AS total_packets, sum(bytes)::BIGINT AS total_bytes,
                sum(payload)::BIGINT AS total_payload FROM g) AS t
WHERE least(rank_packets, rank_bytes, rank_payload) <= $top
ORDER BY rank_packets`

// sqlMeasures are the metrics of a group of packets in sqlBars.
const sqlMeasures = `count(*)                                  AS packets,
    sum(wirelen)::BIGINT                      AS bytes,
    coalesce(sum(payload), 0)::BIGINT         AS payload`

// sqlTopTalker is the source of the most packets (ties: the smallest address), as in stats' talker sections.
const sqlTopTalker = `SELECT src FROM packets WHERE src IS NOT NULL
GROUP BY src ORDER BY count(*) DESC, src LIMIT 1`

// sqlConversationSide marks whether a packet goes from endpoint a to endpoint b of its conversation, where a is
// the lower (address, port), as stats' conversations.
const sqlConversationSide = `(src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0)))`

// sqlEndpoint writes an endpoint as address:port (IPv6 in brackets), or the address alone without a port.
const sqlEndpoint = `CASE WHEN $port IS NULL THEN $addr WHEN contains($addr, ':') THEN '[' || $addr || ']:' || $port
       ELSE $addr || ':' || $port END`

// sqlGraphPairs sums the traffic between each pair of addresses, both directions together ($metric ranks them).
const sqlGraphPairs = `WITH pairs AS (
  SELECT least(src, dst) AS a, greatest(src, dst) AS b,
         count(*) AS packets, sum(wirelen)::BIGINT AS bytes, coalesce(sum(payload), 0)::BIGINT AS payload
  FROM packets WHERE src IS NOT NULL AND dst IS NOT NULL
  GROUP BY ALL
), nodes AS (            -- an address's traffic: every pair it is in (a pair with itself once)
  SELECT addr, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes, sum(payload)::BIGINT AS payload
  FROM (SELECT a AS addr, packets, bytes, payload FROM pairs
        UNION ALL SELECT b, packets, bytes, payload FROM pairs WHERE a <> b)
  GROUP BY addr
), top AS (
  SELECT addr FROM nodes ORDER BY $metric DESC, addr LIMIT $top
)
SELECT 'node' AS kind, addr AS a, NULL AS b, packets, bytes, payload FROM nodes WHERE addr IN (SELECT addr FROM top)
UNION ALL
SELECT 'edge', a, b, packets, bytes, payload FROM pairs
WHERE a IN (SELECT addr FROM top) AND b IN (SELECT addr FROM top) AND a <> b
ORDER BY kind DESC, $metric DESC, a, b`

// sqlTimeline counts packets, bytes and payload per interval from the first packet, with the empty intervals,
// as stats' timeline and tshark -z io,stat.
const sqlTimeline = `WITH bounds AS (
  SELECT min(epoch_ns(time)) AS t0, max(epoch_ns(time)) AS t1 FROM packets
), per AS (
  SELECT (epoch_ns(time) - t0) // $interval_ns AS bucket,
         count(*) AS packets, sum(wirelen)::BIGINT AS bytes, coalesce(sum(payload), 0)::BIGINT AS payload
  FROM packets, bounds
  WHERE time IS NOT NULL
  GROUP BY bucket
)
SELECT
  t0 + r.bucket * $interval_ns            AS start_ns,
  coalesce(per.packets, 0)                AS packets,
  coalesce(per.bytes, 0)                  AS bytes,
  coalesce(per.payload, 0)                AS payload
FROM bounds, range(0, (t1 - t0) // $interval_ns + 1) AS r(bucket)
LEFT JOIN per ON per.bucket = r.bucket
WHERE t0 IS NOT NULL
ORDER BY r.bucket`

// sqlSpan is the time from the first to the last packet, in nanoseconds.
const sqlSpan = `SELECT epoch_ns(max(time)) - epoch_ns(min(time)) FROM packets`

// sqlConversationCount counts the conversations as stats' conversations groups them.
const sqlConversationCount = `SELECT count(*) FROM (
  SELECT DISTINCT proto,
    CASE WHEN ab THEN src ELSE dst END, CASE WHEN ab THEN sport ELSE dport END,
    CASE WHEN ab THEN dst ELSE src END, CASE WHEN ab THEN dport ELSE sport END
  FROM (SELECT *, ` + sqlConversationSide + ` AS ab FROM packets WHERE src IS NOT NULL))`
