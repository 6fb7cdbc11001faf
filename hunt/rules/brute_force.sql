-- Brute force against login services, from the flows alone: many short, alike connections from one client to one
-- login port of one server.
--
-- Finds: password guessing against SSH, FTP, Telnet, POP3, IMAP, SMB, MSSQL, MySQL, RDP, PostgreSQL, VNC (one
-- connection per guess or per few guesses, as hydra, medusa and ncrack make them). Without the credentials and ssh
-- tables (not built yet) it cannot see whether a login failed: it sees the shape, many connections that look the
-- same. A client that opens a few sessions stays under the thresholds.
--
-- needs: flows
--
-- param attempts = 20            connections at which the count part is 1: Zeek's FTP::bruteforce_threshold (policy/protocols/ftp/detect-bruteforcing.zeek, 20 failed logins in 15 min); Zeek's SSH::password_guesses_limit is 30 guesses, and an SSH connection carries up to 6 (OpenSSH MaxAuthTries)
-- param min_attempts = 8         fewest connections judged at all
-- param short_secs = 30          a connection this short (seconds) counts as one attempt rather than a session
-- param min_score = 0.4          findings under this score are not reported
--
-- Score = 0.6 count + 0.2 short + 0.2 alike, each 0-1:
--   count = connections / attempts
--   short = share of the connections shorter than short_secs
--   alike = 1 - MADM / median of the bytes the client sent (guesses send the same few bytes each time)
--
-- Returns: actor = client, target = server:port/proto; evidence: connections, median duration and bytes each
-- way, connection states.
WITH c AS (
    SELECT *
    FROM flows
    WHERE proto = 'tcp' AND resp_p IN (21, 22, 23, 110, 143, 445, 993, 995, 1433, 3306, 3389, 5432, 5900)
      AND NOT hunt_multicast(resp_h)
      AND coalesce(resp_bytes, 0) > 0 -- the server answered (a banner, a prompt): retries to a closed port are not guesses
),
g AS (
    SELECT orig_h, resp_h, resp_p,
        count(*) AS n,
        median(duration) AS med_duration,
        avg(CASE WHEN coalesce(duration, 0) < ${short_secs} THEN 1.0 ELSE 0.0 END) AS short_share,
        median(coalesce(orig_bytes, 0)) AS med_sent,
        median(coalesce(resp_bytes, 0)) AS med_recv,
        string_agg(DISTINCT conn_state, ',' ORDER BY conn_state) AS states,
        min(ts) AS first_ts, max(coalesce(end_ts, ts)) AS last_ts,
        list(uid ORDER BY ts) AS uids,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow
    FROM c
    GROUP BY ALL
    HAVING count(*) >= ${min_attempts}
),
m AS (
    SELECT g.orig_h, g.resp_h, g.resp_p, median(abs(coalesce(c.orig_bytes, 0) - g.med_sent)) AS madm
    FROM g JOIN c USING (orig_h, resp_h, resp_p)
    GROUP BY ALL
),
s AS (
    SELECT g.*, m.madm,
        hunt_clamp(n / ${attempts}) AS p_count,
        hunt_clamp(short_share) AS p_short,
        CASE WHEN med_sent > 0 THEN hunt_clamp(1 - m.madm / med_sent) ELSE 0 END AS p_alike
    FROM g JOIN m USING (orig_h, resp_h, resp_p)
)
SELECT
    0.6 * p_count + 0.2 * p_short + 0.2 * p_alike AS score,
    json_object('count', round(p_count, 3), 'short', round(p_short, 3), 'alike', round(p_alike, 3))::VARCHAR AS score_parts,
    orig_h AS actor, resp_h || ':' || resp_p || '/tcp' AS target, first_ts, last_ts,
    format('{} opened {} connections to {} port {} ({:.1f} s and {} bytes sent each, median): the shape of password guessing',
           orig_h, n, resp_h, resp_p, med_duration, med_sent) AS summary,
    json_object('connections', n, 'median_duration_s', round(med_duration, 3), 'short_share', round(short_share, 3),
                'median_bytes_sent', med_sent, 'median_bytes_received', med_recv, 'sent_madm', madm, 'conn_states', states)::VARCHAR AS evidence,
    uids, []::BIGINT[] AS frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    format('SELECT ts, uid, orig_p, duration, orig_bytes, resp_bytes, conn_state, history FROM flows WHERE orig_h = ''{}'' AND resp_h = ''{}'' AND resp_p = {} ORDER BY ts', orig_h, resp_h, resp_p) AS dig_sql
FROM s
WHERE 0.6 * p_count + 0.2 * p_short + 0.2 * p_alike >= ${min_score}
