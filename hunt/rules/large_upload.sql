-- Large outbound transfers: a private host sending far more than it receives to an outside address.
--
-- Finds: exfiltration over any protocol (HTTP POST, TLS, FTP, a raw socket) as the flows that move the most
-- bytes out of the network, judged against the rest of the capture: the transfer must be large in itself, mostly
-- one-way (upload, not a download's acknowledgements) and a large share of everything the capture sent out.
--
-- needs: flows
--
-- param min_bytes = 1000000      bytes sent by the inside host from which a transfer counts (1 MB; RITA's threat-intel data size modifier and Zeek's conn-size policies work in the same megabyte range)
-- param big_bytes = 100000000    bytes at which the volume part is 1 (100 MB)
-- param min_ratio = 3            sent / received below which the flow is an exchange, not an upload
-- param min_score = 0.4          findings under this score are not reported
--
-- Score = 0.5 volume + 0.25 one-way + 0.25 share, each 0-1:
--   volume = log(sent / min_bytes) / log(big_bytes / min_bytes)
--   one-way = 1 - received / sent, rescaled so that min_ratio gives 0
--   share = the flow's bytes sent / all bytes the capture's private hosts sent to outside addresses
--
-- Returns: actor = inside host, target = outside address:port/proto; evidence: bytes each way, ratio, duration,
-- rate, service, the share of the capture's outbound bytes.
WITH out AS (
    SELECT *, coalesce(orig_bytes, 0) AS sent, coalesce(resp_bytes, 0) AS recv
    FROM flows
    WHERE hunt_private(orig_h) AND NOT hunt_private(resp_h) AND NOT hunt_multicast(resp_h)
),
total AS (SELECT greatest(sum(sent), 1) AS out_bytes FROM out),
s AS (
    SELECT out.*, total.out_bytes,
        hunt_clamp(ln(sent / ${min_bytes}) / ln(${big_bytes} / ${min_bytes})) AS p_volume,
        hunt_clamp((1 - recv / sent) / (1 - 1 / ${min_ratio})) AS p_oneway,
        hunt_clamp(sent / total.out_bytes) AS p_share
    FROM out CROSS JOIN total
    WHERE sent >= ${min_bytes} AND sent >= ${min_ratio} * recv
)
SELECT
    0.5 * p_volume + 0.25 * p_oneway + 0.25 * p_share AS score,
    json_object('volume', round(p_volume, 3), 'one_way', round(p_oneway, 3), 'share', round(p_share, 3))::VARCHAR AS score_parts,
    orig_h AS actor, resp_h || ':' || resp_p || '/' || proto AS target, ts AS first_ts, coalesce(end_ts, ts) AS last_ts,
    format('{} sent {} bytes to {}:{} ({}) and received {}: {:.0f}% of all bytes the capture sent out',
           orig_h, sent, resp_h, resp_p, coalesce(service, proto), recv, 100 * p_share) AS summary,
    json_object('orig_bytes', sent, 'resp_bytes', recv, 'ratio', round(sent / greatest(recv, 1), 1), 'duration_s', round(duration, 1),
                'bytes_per_s', round(sent / greatest(duration, 0.001)), 'service', service,
                'capture_outbound_bytes', out_bytes)::VARCHAR AS evidence,
    [uid] AS uids, []::BIGINT[] AS frames,
    CASE WHEN proto IN ('tcp', 'udp') THEN hunt_flow(orig_h, orig_p, resp_h, resp_p) END AS flow,
    CASE WHEN proto IN ('tcp', 'udp') THEN proto END AS flow_proto,
    CASE WHEN proto IN ('tcp', 'udp') THEN 'client' END AS carve_side,
    format('SELECT * FROM flows WHERE uid = ''{}''', uid) AS dig_sql
FROM s
WHERE 0.5 * p_volume + 0.25 * p_oneway + 0.25 * p_share >= ${min_score}
