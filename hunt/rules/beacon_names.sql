-- Beaconing to a name: a client that reaches the same TLS server name (SNI) or HTTP Host at regular intervals,
-- whatever addresses the name resolves to.
--
-- Finds: C2 implants checking in through a CDN or domain fronting (one name, many addresses, so that beacon's
-- per client->server pairs each hold too few connections), and HTTP C2 over keep-alive connections (one check-in
-- per request, not per connection). The method is beacon.sql's, RITA's (activecm/rita, beacon analysis): the
-- intervals between events should be symmetric (Bowley skewness near 0) and tight (median absolute deviation
-- about the median, MADM, small), the sizes sent as regular, and the events should cover the capture.
-- An event is a TLS handshake (tls table, sized by the flow's orig_bytes) or an HTTP request (http table, sized by
-- its URI and body). Names are compared in lower case, without a trailing dot or an HTTP port.
--
-- needs: flows, tls, http
--
-- param min_events = 20          fewest events before a client->name pair is judged: fewer are reported as "too little data to judge" at score 0 (info) when they are at least min_events_note; beacon.sql's min_connections (the conn_count > 20 filter of the public Python/KQL ports of RITA's beacon scoring)
-- param min_events_note = 6      fewest events for the "too little data" note (RITA's Python ports return no score under 6 intervals)
-- param jitter = 0.5             MADM of the intervals, as a fraction of the median interval, at which the dispersion part reaches 0 (RITA v5's tsMadmScore = 1 - MADM / median; beacon.sql's jitter)
-- param min_interval = 10        median interval (seconds) under which a pair is not a beacon: a page's parallel fetches and retries repeat faster; C2 frameworks sleep longer (Cobalt Strike's and Sliver's default 60 s); beacon.sql's min_interval
-- param size_madm_bytes = 32     MADM of bytes sent at which the size dispersion part reaches 0 (RITA's dsMadmScore cut-off, 32 bytes)
-- param min_score = 0.6          findings under this score are not reported (except the "too little data" notes)
--
-- Score = 0.5 time + 0.2 size + 0.3 coverage, each 0-1 (as beacon.sql):
--   time = (1 - |Bowley skewness of the intervals| + 1 - MADM / (jitter * median interval)) / 2
--   size = (1 - |Bowley skewness of the sizes| + 1 - MADM of sizes / size_madm_bytes) / 2
--   coverage = span of the pair's events / span of the capture
--
-- Returns: actor = client, target = sni:NAME or host:NAME; evidence: events, addresses the name was reached at,
-- median interval, MADM, Bowley skew, median size, coverage; or the "too little data to judge" note.
WITH ev AS (
    SELECT t.orig_h AS actor, 'sni:' || rtrim(lower(t.server_name), '.') AS target, t.ts, t.uid,
           coalesce(f.orig_bytes, 0) AS sent, t.orig_h, t.orig_p, t.resp_h, t.resp_p
    FROM tls t LEFT JOIN flows f USING (uid)
    WHERE t.server_name IS NOT NULL AND rtrim(t.server_name, '.') <> ''
    UNION ALL
    SELECT orig_h, 'host:' || rtrim(lower(regexp_replace(host, ':[0-9]*$', '')), '.'), ts, uid,
           coalesce(length(uri), 0) + coalesce(request_body_len, 0), orig_h, orig_p, resp_h, resp_p
    FROM http
    WHERE host IS NOT NULL AND rtrim(regexp_replace(host, ':[0-9]*$', ''), '.') <> '' AND method IS NOT NULL
),
span AS (
    SELECT greatest(epoch(max(coalesce(end_ts, ts))) - epoch(min(ts)), 1e-6) AS capture_secs FROM flows
),
d AS (
    SELECT *, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY actor, target ORDER BY ts)) AS dt
    FROM ev
),
g AS (
    SELECT actor, target,
        count(*) AS n,
        count(DISTINCT resp_h) AS addresses,
        quantile_cont(dt, 0.25) AS q1, quantile_cont(dt, 0.5) AS q2, quantile_cont(dt, 0.75) AS q3,
        quantile_cont(sent, 0.25) AS b1, quantile_cont(sent, 0.5) AS b2, quantile_cont(sent, 0.75) AS b3,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(DISTINCT uid) AS uids,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow
    FROM d
    GROUP BY ALL
    HAVING count(*) >= ${min_events_note} AND quantile_cont(dt, 0.5) >= ${min_interval}
),
m AS (
    SELECT g.actor, g.target,
        median(abs(d.dt - g.q2)) AS madm,
        median(abs(d.sent - g.b2)) AS size_madm
    FROM g JOIN d USING (actor, target)
    GROUP BY ALL
),
s AS (
    SELECT g.*, m.madm, m.size_madm,
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
    CASE WHEN n < ${min_events} THEN 0 ELSE 0.5 * p_time + 0.2 * p_size + 0.3 * p_coverage END AS score,
    json_object('time', round(p_time, 3), 'size', round(p_size, 3), 'coverage', round(p_coverage, 3))::VARCHAR AS score_parts,
    actor, target, first_ts, last_ts,
    CASE WHEN n < ${min_events}
        THEN format('too little data to judge: {} events from {} to {} ({} addresses) every {:.1f} s (median); {} are needed', n, actor, target, addresses, q2, ${min_events}::INT)
        ELSE format('{} events from {} to {} at {} addresses every {:.1f} s (median, MADM {:.1f} s), {:.0f} bytes {} each (median), over {:.0f}% of the capture',
                    n, actor, target, addresses, q2, madm, b2,
                    CASE WHEN starts_with(target, 'sni:') THEN 'sent in the connection' ELSE 'of URI and body' END, 100 * coverage)
    END AS summary,
    json_object('events', n, 'addresses', addresses, 'median_interval_s', round(q2, 3), 'madm_s', round(madm, 3),
                'bowley_skew', round(ts_skew, 3), 'median_bytes_sent', b2, 'size_madm', size_madm,
                'size_bowley_skew', round(ds_skew, 3), 'coverage', round(coverage, 3), 'judged', n >= ${min_events})::VARCHAR AS evidence,
    uids, []::BIGINT[] AS frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    CASE WHEN starts_with(target, 'sni:')
        THEN format('SELECT t.ts, t.uid, t.resp_h, t.server_name, f.orig_bytes, f.resp_bytes FROM tls t LEFT JOIN flows f USING (uid) WHERE t.orig_h = ''{}'' AND rtrim(lower(t.server_name), ''.'') = ''{}'' ORDER BY t.ts', actor, replace(substr(target, 5), '''', ''''''))
        ELSE format('SELECT ts, uid, resp_h, method, host, uri, request_body_len, status_code FROM http WHERE orig_h = ''{}'' AND rtrim(lower(regexp_replace(host, '':[0-9]*$'', '''')), ''.'') = ''{}'' ORDER BY ts', actor, replace(substr(target, 6), '''', ''''''))
    END AS dig_sql
FROM p
WHERE n < ${min_events} OR 0.5 * p_time + 0.2 * p_size + 0.3 * p_coverage >= ${min_score}
