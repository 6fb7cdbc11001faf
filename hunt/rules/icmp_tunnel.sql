-- ICMP tunnels and covert channels: data carried in ICMP echo payloads (ptunnel, icmptunnel, icmpsh, Hans) or in
-- ICMP messages that should carry none.
--
-- Finds: per source -> destination, ICMP echo (v4 types 0/8, v6 128/129) whose payloads are not ping's: ping
-- sends one fixed size (56 bytes with iputils and macOS, 32 with Windows; traceroute probes 32-64) and, after a
-- timestamp of at most 16 bytes, the same filler bytes every time; a tunnel sends payloads of many sizes and
-- contents. Also counts informational messages other than echo that carry payload (timestamp, information,
-- address mask requests, types 13-18, carry at most 12 bytes). Errors (types 3, 4, 5, 11, 12) quote a header and
-- are left out.
--
-- needs: packets
--
-- param min_packets = 10         fewest ICMP packets with payload from one source to one destination before they are judged
-- param ping_payload = 64        payload size (bytes) that ordinary pings stay within (iputils ping -s default 56, Windows ping -l default 32, traceroute 32-64)
-- param big_payload = 512        average payload at which the size part is 1
-- param min_score = 0.4          findings under this score are not reported
--
-- Score = 0.45 variety + 0.25 size + 0.15 sizes + 0.15 volume, each 0-1:
--   variety = distinct payload contents after the first 16 bytes / packets (ping repeats one filler: ~0)
--   size = (average payload - ping_payload) / (big_payload - ping_payload)
--   sizes = (distinct payload sizes - 1) / 10
--   volume = packets / (10 x min_packets)
-- with the variety part counted only when the payloads are longer than 16 bytes.
--
-- Returns: actor = source, target = destination; evidence: packets, payload bytes, average and largest payload,
-- distinct sizes and contents, ICMP types.
WITH p AS (
    SELECT frame, time, src, dst, proto, icmp_type, payload, payload_hex
    FROM packets
    WHERE proto IN (1, 58) AND payload > 0
      AND ((proto = 1 AND icmp_type IN (0, 8, 13, 14, 15, 16, 17, 18)) OR (proto = 58 AND icmp_type IN (128, 129)))
),
g AS (
    SELECT src, dst,
        count(*) AS packets,
        sum(payload) AS payload_bytes,
        avg(payload) AS avg_payload,
        max(payload) AS max_payload,
        count(DISTINCT payload) AS sizes,
        count(DISTINCT substr(payload_hex, 33)) FILTER (WHERE payload > 16) AS tails,
        count(*) FILTER (WHERE payload > 16) AS long_packets,
        count(*) FILTER (WHERE icmp_type NOT IN (0, 8, 128, 129)) AS non_echo,
        string_agg(DISTINCT icmp_type::VARCHAR, ',' ORDER BY icmp_type::VARCHAR) AS types,
        min(time) AS first_ts, max(time) AS last_ts,
        list(frame ORDER BY frame) AS frames
    FROM p
    GROUP BY ALL
    HAVING count(*) >= ${min_packets}
),
s AS (
    SELECT *,
        CASE WHEN long_packets > 0 THEN hunt_clamp((tails - 1) / long_packets) ELSE 0 END AS p_variety,
        hunt_clamp((avg_payload - ${ping_payload}) / (${big_payload} - ${ping_payload})) AS p_size,
        hunt_clamp((sizes - 1) / 10) AS p_sizes,
        hunt_clamp(packets / (10 * ${min_packets})) AS p_volume
    FROM g
)
SELECT
    0.45 * p_variety + 0.25 * p_size + 0.15 * p_sizes + 0.15 * p_volume AS score,
    json_object('variety', round(p_variety, 3), 'size', round(p_size, 3), 'sizes', round(p_sizes, 3), 'volume', round(p_volume, 3))::VARCHAR AS score_parts,
    src AS actor, dst AS target, first_ts, last_ts,
    format('{} sent {} ICMP packets with {} bytes of payload to {} ({:.0f} bytes on average, {} sizes, {} different contents; types {})',
           src, packets, payload_bytes, dst, avg_payload, sizes, tails, types) AS summary,
    json_object('packets', packets, 'payload_bytes', payload_bytes, 'avg_payload', round(avg_payload, 1), 'max_payload', max_payload,
                'distinct_sizes', sizes, 'distinct_contents', tails, 'non_echo_with_payload', non_echo, 'icmp_types', types)::VARCHAR AS evidence,
    []::VARCHAR[] AS uids, frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT frame, time, icmp_type, icmp_id, icmp_seq, payload, substr(payload_hex, 1, 64) AS head FROM packets WHERE proto IN (1, 58) AND src = ''{}'' AND dst = ''{}'' ORDER BY frame LIMIT 100', src, dst) AS dig_sql
FROM s
WHERE 0.45 * p_variety + 0.25 * p_size + 0.15 * p_sizes + 0.15 * p_volume >= ${min_score}
