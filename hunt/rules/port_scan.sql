-- Port scan: one host's failed or unanswered first contacts to many ports of one other host.
--
-- Finds: nmap-style SYN, connect and UDP scans of a host. A first contact fails when, as in Zeek's scan.zeek
-- (is_failed_conn / is_reverse_failed_conn), the connection was never established or was reset before any data:
-- TCP conn_state S0 (no answer), REJ (refused), RSTOS0, RSTRH, SH, SHR, OTH without data, or RSTO/RSTR with no
-- data in the history; UDP with no answer at all.
--
-- needs: flows
--
-- param port_scan_threshold = 15   distinct failed ports that make a port scan: Zeek's Scan::port_scan_threshold (policy/misc/scan.zeek, 15.0, over port_scan_interval = 5 min; here over the whole capture)
-- param min_ports = 5              fewest distinct failed ports reported at all (a small connect scan of a handful of ports scores low)
--
-- Score = min(1, failed ports / port_scan_threshold) * (0.5 + 0.5 * failed share), where failed share is the
-- share of the actor's contacts to the target that failed (a host that mostly fails is scanning, one that
-- mostly succeeds is a busy client).
--
-- Returns: actor = scanner, target = scanned host; evidence: failed and total distinct ports, contacts, failed
-- share, connection states, a sample of the ports, open ports found (contacts answered).
WITH c AS (
    SELECT *,
        CASE
            WHEN proto = 'tcp' AND conn_state IN ('S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR') THEN true
            WHEN proto = 'tcp' AND conn_state IN ('RSTO', 'RSTR', 'OTH') AND NOT regexp_matches(coalesce(history, ''), '[Dd]') THEN true
            WHEN proto = 'udp' AND coalesce(resp_pkts, 0) = 0 THEN true
            ELSE false
        END AS failed
    FROM flows
    WHERE proto IN ('tcp', 'udp') AND resp_p IS NOT NULL
      AND NOT hunt_multicast(resp_h)
),
g AS (
    SELECT orig_h, resp_h,
        count(DISTINCT resp_p) FILTER (WHERE failed) AS failed_ports,
        count(DISTINCT resp_p) AS ports,
        count(*) AS contacts,
        avg(failed::INT) AS failed_share,
        string_agg(DISTINCT conn_state, ',' ORDER BY conn_state) AS states,
        list(DISTINCT resp_p ORDER BY resp_p) FILTER (WHERE failed) AS failed_port_list,
        list(DISTINCT resp_p ORDER BY resp_p) FILTER (WHERE NOT failed) AS open_ports,
        string_agg(DISTINCT proto, ',') AS protos,
        min(ts) AS first_ts, max(coalesce(end_ts, ts)) AS last_ts,
        list(uid ORDER BY ts) AS uids
    FROM c
    GROUP BY ALL
    HAVING count(DISTINCT resp_p) FILTER (WHERE failed) >= ${min_ports}
)
SELECT
    least(1.0, failed_ports / ${port_scan_threshold}) * (0.5 + 0.5 * failed_share) AS score,
    json_object('ports', round(least(1.0, failed_ports / ${port_scan_threshold}), 3), 'failed_share', round(failed_share, 3))::VARCHAR AS score_parts,
    orig_h AS actor, resp_h AS target, first_ts, last_ts,
    format('{} made failed first contacts to {} distinct {} ports of {} ({} contacts, {:.0f}% failed)',
           orig_h, failed_ports, protos, resp_h, contacts, 100 * failed_share) AS summary,
    json_object('failed_ports', failed_ports, 'ports', ports, 'contacts', contacts, 'failed_share', round(failed_share, 3),
                'conn_states', states, 'failed_port_sample', failed_port_list[1:30], 'open_ports', open_ports[1:30])::VARCHAR AS evidence,
    uids, []::BIGINT[] AS frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT resp_p, proto, conn_state, history, count(*) AS n FROM flows WHERE orig_h = ''{}'' AND resp_h = ''{}'' GROUP BY ALL ORDER BY resp_p', orig_h, resp_h) AS dig_sql
FROM g
