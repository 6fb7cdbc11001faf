-- Beaconing: a client that connects to the same server and port at regular intervals, with regular sizes.
--
-- Finds: C2 implants checking in (Cobalt Strike, Sliver, Empire, TrickBot, ...), per orig_h -> resp_h:resp_p/proto,
-- and per client -> TLS server name (SNI) so that a beacon spread over the addresses of a CDN is seen as one.
-- Scoring follows RITA (activecm/rita, beacon analysis): the intervals between connection starts should be
-- symmetric (Bowley skewness near 0) and tight (median absolute deviation about the median, MADM, small), the
-- sizes sent should be as regular, and the connections should cover the capture.
--
-- needs: flows, tls
--
-- param min_connections = 20   fewest connections before a pair is judged: fewer are reported as "too little data to judge" at score 0 (info) when they are at least min_connections_note; the conn_count > 20 filter of the public Python/KQL ports of RITA's beacon scoring (posts.bluraven.io "Implementing RITA using KQL")
-- param min_connections_note = 6   fewest connections for the "too little data" note (RITA's Python ports return no score under 6 intervals)
-- param jitter = 0.5             MADM of the intervals, as a fraction of the median interval, at which the dispersion part reaches 0: RITA v5's tsMadmScore = 1 - MADM / median (the older RITA used 1 - MADM / 30 s, which is too strict for hourly beacons)
-- param min_interval = 10       median interval (seconds) under which a pair is not a beacon at all: automated bursts (brute force, browsers' parallel fetches, retries) repeat faster; C2 frameworks sleep longer (Cobalt Strike's default sleep is 60 s, Sliver's beacon interval 60 s) and RITA's Python ports drop intervals of 1 s or less
-- param size_madm_bytes = 32     MADM of bytes sent at which the size dispersion part reaches 0 (RITA's dsMadmScore cut-off, 32 bytes)
-- param min_score = 0.6          findings under this score are not reported (except the "too little data" notes)
--
-- Score = 0.5 time + 0.2 size + 0.3 coverage, each 0-1:
--   time = (tsSkewScore + tsMadmScore) / 2 with tsSkewScore = 1 - |Bowley skewness of the intervals| (RITA),
--          tsMadmScore = 1 - MADM / (jitter * median interval)
--   size = (dsSkewScore + dsMadmScore) / 2 over the bytes the client sent (RITA's data size score)
--   coverage = span of the pair's connections / span of the capture (RITA's connection count and duration scores
--          reward beacons that last)
-- Multicast, broadcast, DNS (53), NTP (123), DHCP, NetBIOS, SSDP, mDNS and LLMNR are left out: they are periodic by
-- design (DNS tunnels are the dns_tunnel detector's).
--
-- Returns: actor = client, target = server:port/proto or sni:NAME; evidence: connections, median interval,
-- MADM, Bowley skew, median bytes sent, coverage; or the "too little data to judge" note.
WITH conns AS (
    SELECT orig_h AS actor, resp_h || ':' || resp_p || '/' || proto AS target, ts, uid, coalesce(orig_bytes, 0) AS sent,
           orig_h, orig_p, resp_h, resp_p, proto
    FROM flows
    WHERE proto IN ('tcp', 'udp')
      AND NOT hunt_multicast(resp_h)
      AND NOT (resp_p IN (53, 67, 68, 123, 137, 138, 1900, 5353, 5355) AND proto = 'udp')
      AND NOT (resp_p = 53 AND proto = 'tcp')
    UNION ALL
    SELECT t.orig_h, 'sni:' || lower(t.server_name), t.ts, t.uid, coalesce(f.orig_bytes, 0), t.orig_h, t.orig_p, t.resp_h, t.resp_p, 'tcp'
    FROM tls t LEFT JOIN flows f USING (uid)
    WHERE t.server_name IS NOT NULL AND t.server_name <> ''
),
span AS (
    SELECT greatest(epoch(max(coalesce(end_ts, ts))) - epoch(min(ts)), 1e-6) AS capture_secs FROM flows
),
d AS (
    SELECT *, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY actor, target ORDER BY ts)) AS dt
    FROM conns
),
g AS (
    SELECT actor, target,
        count(*) AS n,
        quantile_cont(dt, 0.25) AS q1, quantile_cont(dt, 0.5) AS q2, quantile_cont(dt, 0.75) AS q3,
        quantile_cont(sent, 0.25) AS b1, quantile_cont(sent, 0.5) AS b2, quantile_cont(sent, 0.75) AS b3,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(uid ORDER BY ts) AS uids,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow,
        arg_min(proto, ts) AS flow_proto
    FROM d
    GROUP BY ALL
    HAVING count(*) >= ${min_connections_note} AND quantile_cont(dt, 0.5) >= ${min_interval}
),
m AS (
    SELECT g.actor, g.target,
        median(abs(d.dt - g.q2)) AS madm,
        median(abs(d.sent - g.b2)) AS size_madm
    FROM g JOIN d USING (actor, target)
    GROUP BY ALL
),
s AS (
    SELECT g.*, m.madm, m.size_madm, span.capture_secs,
        CASE WHEN q3 - q1 > 0 AND q2 <> q1 AND q2 <> q3 THEN (q1 + q3 - 2 * q2) / (q3 - q1) ELSE 0 END AS ts_skew,
        CASE WHEN b3 - b1 > 0 AND b2 <> b1 AND b2 <> b3 THEN (b1 + b3 - 2 * b2) / (b3 - b1) ELSE 0 END AS ds_skew,
        (epoch(last_ts) - epoch(first_ts)) / span.capture_secs AS coverage
    FROM g JOIN m USING (actor, target) CROSS JOIN span
),
p AS (
    SELECT *,
        (hunt_clamp(1 - abs(ts_skew)) + CASE WHEN q2 > 0 THEN hunt_clamp(1 - madm / (${jitter} * q2)) ELSE 0 END) / 2 AS p_time,
        (hunt_clamp(1 - abs(ds_skew)) + hunt_clamp(1 - size_madm / ${size_madm_bytes})) / 2 AS p_size,
        hunt_clamp(coverage) AS p_coverage
    FROM s
)
SELECT
    CASE WHEN n < ${min_connections} THEN 0 ELSE 0.5 * p_time + 0.2 * p_size + 0.3 * p_coverage END AS score,
    json_object('time', round(p_time, 3), 'size', round(p_size, 3), 'coverage', round(p_coverage, 3))::VARCHAR AS score_parts,
    actor, target, first_ts, last_ts,
    CASE WHEN n < ${min_connections}
        THEN format('too little data to judge: {} connections from {} to {} every {:.1f} s (median); {} are needed', n, actor, target, q2, ${min_connections}::INT)
        ELSE format('{} connections from {} to {} every {:.1f} s (median, MADM {:.1f} s), {:.0f} bytes sent each (median), over {:.0f}% of the capture',
                    n, actor, target, q2, madm, b2, 100 * coverage)
    END AS summary,
    json_object('connections', n, 'median_interval_s', round(q2, 3), 'madm_s', round(madm, 3), 'bowley_skew', round(ts_skew, 3),
                'median_bytes_sent', b2, 'size_madm', size_madm, 'size_bowley_skew', round(ds_skew, 3),
                'coverage', round(coverage, 3), 'judged', n >= ${min_connections})::VARCHAR AS evidence,
    uids, []::BIGINT[] AS frames,
    flow, flow_proto, NULL AS carve_side,
    CASE WHEN starts_with(target, 'sni:')
        THEN format('SELECT t.ts, t.orig_h, t.resp_h, t.server_name, f.orig_bytes, f.resp_bytes FROM tls t LEFT JOIN flows f USING (uid) WHERE t.orig_h = ''{}'' AND lower(t.server_name) = ''{}'' ORDER BY t.ts', actor, replace(substr(target, 5), '''', ''''''))
        ELSE format('SELECT ts, uid, orig_p, duration, orig_bytes, resp_bytes, conn_state FROM flows WHERE orig_h = ''{}'' AND resp_h || '':'' || resp_p || ''/'' || proto = ''{}'' ORDER BY ts', actor, target)
    END AS dig_sql
FROM p
WHERE n < ${min_connections} OR 0.5 * p_time + 0.2 * p_size + 0.3 * p_coverage >= ${min_score}
