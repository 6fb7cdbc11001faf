-- Long connections: one connection that stays open for hours.
--
-- Finds: interactive C2 and tunnels held open (reverse shells, SSH/SOCKS tunnels, VPN-over-TLS), which RITA lists
-- as long connections. Ordinary sessions last seconds to minutes; a long one is shown at low severity with the
-- bytes it moved, and rises with its length.
--
-- needs: flows
--
-- param long_secs = 3600         duration (seconds) from which a connection is long: RITA's base long-connection threshold, 1 hour
-- param very_long_secs = 43200   duration at which the score is 1: RITA's high long-connection threshold, 12 hours
-- param max_secs = 2592000       durations over 30 days are taken for timestamp errors (clock jumps, corrupt records, captures merged across years), not connections
--
-- Score = 0.4 + 0.6 * log(duration / long_secs) / log(very_long_secs / long_secs), from 0.4 (low) at long_secs
-- to 1 at very_long_secs. Multicast and broadcast destinations and loopback connections (127.0.0.0/8, ::1: a
-- host talking to itself) are left out.
--
-- Returns: actor = client, target = server:port/proto; evidence: duration, bytes and packets each way,
-- service, state, the share of the capture's span it covers.
WITH span AS (
    SELECT greatest(epoch(max(coalesce(end_ts, ts))) - epoch(min(ts)), 1e-6) AS capture_secs FROM flows
)
SELECT
    0.4 + 0.6 * hunt_clamp(ln(duration / ${long_secs}) / ln(${very_long_secs} / ${long_secs})) AS score,
    json_object('duration', round(hunt_clamp(ln(duration / ${long_secs}) / ln(${very_long_secs} / ${long_secs})), 3))::VARCHAR AS score_parts,
    orig_h AS actor, resp_h || ':' || resp_p || '/' || proto AS target, ts AS first_ts, coalesce(end_ts, ts) AS last_ts,
    format('{} held a {} connection to {}:{} open for {:.1f} hours ({} bytes sent, {} received)',
           orig_h, coalesce(service, proto), resp_h, resp_p, duration / 3600, coalesce(orig_bytes, 0), coalesce(resp_bytes, 0)) AS summary,
    json_object('duration_s', round(duration, 1), 'orig_bytes', orig_bytes, 'resp_bytes', resp_bytes, 'orig_pkts', orig_pkts,
                'resp_pkts', resp_pkts, 'service', service, 'conn_state', conn_state,
                'capture_share', round(duration / span.capture_secs, 3))::VARCHAR AS evidence,
    [uid] AS uids, []::BIGINT[] AS frames,
    CASE WHEN proto IN ('tcp', 'udp') THEN hunt_flow(orig_h, orig_p, resp_h, resp_p) END AS flow,
    CASE WHEN proto IN ('tcp', 'udp') THEN proto END AS flow_proto, NULL AS carve_side,
    format('SELECT * FROM flows WHERE uid = ''{}''', uid) AS dig_sql
FROM flows CROSS JOIN span
WHERE duration >= ${long_secs} AND duration <= ${max_secs} AND NOT hunt_multicast(resp_h)
  AND NOT (regexp_matches(orig_h, '^127\.') AND regexp_matches(resp_h, '^127\.')) AND NOT (orig_h = '::1' AND resp_h = '::1')
