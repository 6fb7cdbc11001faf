-- Host sweep (address scan): one host's failed or unanswered first contacts to one port of many hosts.
--
-- Finds: worms and scanners sweeping a network for one service (445, 22, 3389, ...), and ping sweeps (ICMP echo
-- requests left unanswered). Failed first contacts as in port_scan (Zeek's is_failed_conn).
--
-- needs: flows
--
-- param addr_scan_threshold = 25   distinct hosts failed on one port that make a sweep: Zeek's Scan::addr_scan_threshold (policy/misc/scan.zeek, 25.0, over addr_scan_interval = 5 min; here over the whole capture)
-- param min_hosts = 5              fewest distinct failed hosts reported at all
--
-- Score = min(1, failed hosts / addr_scan_threshold) * (0.5 + 0.5 * failed share). Broadcast and multicast
-- destinations are left out (service discovery is not a sweep).
--
-- Returns: actor = scanner, target = the port (proto/port); evidence: failed and total hosts, failed share,
-- a sample of the hosts, the hosts that answered.
WITH c AS (
    SELECT *,
        CASE
            WHEN proto = 'tcp' AND conn_state IN ('S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR') THEN true
            WHEN proto = 'tcp' AND conn_state IN ('RSTO', 'RSTR', 'OTH') AND NOT regexp_matches(coalesce(history, ''), '[Dd]') THEN true
            WHEN proto IN ('udp', 'icmp') AND coalesce(resp_pkts, 0) = 0 THEN true
            ELSE false
        END AS failed
    FROM flows
    WHERE proto IN ('tcp', 'udp', 'icmp') AND resp_p IS NOT NULL
      AND NOT hunt_multicast(resp_h)
      AND NOT (proto = 'udp' AND resp_p IN (53, 67, 68, 123, 137, 138, 1900, 5353, 5355))
),
g AS (
    SELECT orig_h, proto, resp_p,
        count(DISTINCT resp_h) FILTER (WHERE failed) AS failed_hosts,
        count(DISTINCT resp_h) AS hosts,
        count(*) AS contacts,
        avg(failed::INT) AS failed_share,
        list(DISTINCT resp_h ORDER BY resp_h) FILTER (WHERE failed) AS failed_host_list,
        list(DISTINCT resp_h ORDER BY resp_h) FILTER (WHERE NOT failed) AS answering,
        min(ts) AS first_ts, max(coalesce(end_ts, ts)) AS last_ts,
        list(uid ORDER BY ts) AS uids
    FROM c
    GROUP BY ALL
    HAVING count(DISTINCT resp_h) FILTER (WHERE failed) >= ${min_hosts}
)
SELECT
    least(1.0, failed_hosts / ${addr_scan_threshold}) * (0.5 + 0.5 * failed_share) AS score,
    json_object('hosts', round(least(1.0, failed_hosts / ${addr_scan_threshold}), 3), 'failed_share', round(failed_share, 3))::VARCHAR AS score_parts,
    orig_h AS actor, proto || '/' || resp_p AS target, first_ts, last_ts,
    format('{} made failed first contacts to {} distinct hosts on {}/{} ({} contacts, {:.0f}% failed)',
           orig_h, failed_hosts, proto, resp_p, contacts, 100 * failed_share) AS summary,
    json_object('failed_hosts', failed_hosts, 'hosts', hosts, 'contacts', contacts, 'failed_share', round(failed_share, 3),
                'failed_host_sample', failed_host_list[1:30], 'answering_hosts', answering[1:30])::VARCHAR AS evidence,
    uids, []::BIGINT[] AS frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT resp_h, conn_state, history, count(*) AS n FROM flows WHERE orig_h = ''{}'' AND proto = ''{}'' AND resp_p = {} GROUP BY ALL ORDER BY resp_h', orig_h, proto, resp_p) AS dig_sql
FROM g
