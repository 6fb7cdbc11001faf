-- Covert channels in IPv6 extension headers: data hidden in the options of hop-by-hop or destination options
-- headers, which routers and firewalls pass along unread (the IPv6 covert channels of Lucena et al., "Covert
-- Channels in IPv6", PET 2005, and of tools such as ipv6toolkit's and Scapy scripts that fill PadN or unknown
-- options with data).
--
-- Finds: per source -> destination, IPv6 packets whose hop-by-hop or destination options headers are longer than
-- ordinary traffic makes them. Every extension header takes at least 8 bytes, and ordinary options fit in those 8:
-- MLD's router alert (RFC 2711) with its padding, a jumbo payload option (RFC 2675), the padding of an empty
-- header; so the bytes beyond 8 per header (ip6_ext_len - 8 x headers, the packets table's column from the headers'
-- length fields) are the data an option carries. Packets with a routing header (segment routing lists 16 bytes
-- per segment) or an authentication header (its ICV) are left out: their length is their job. Mobile IPv6's home
-- address option (a 24-byte destination options header) would count 16 bytes; Mobile IPv6 is rare, and a handful
-- of its packets stay under min_packets.
--
-- needs: packets
--
-- param min_packets = 5          fewest packets with oversized option headers from one source to one destination before they are judged
-- param big_excess = 64          bytes beyond the ordinary 8 per header, on average, at which the size part is 1
-- param min_score = 0.4          findings under this score are not reported
--
-- Score = 0.5 + 0.25 size + 0.25 volume, each 0-1:
--   size = average bytes beyond 8 per header / big_excess
--   volume = packets / (10 x min_packets)
-- from 0.5 (low) for a few packets with a few extra bytes; 40 packets carrying 48 bytes each make 0.89 (high).
--
-- Returns: actor = source, target = destination; evidence: packets, the bytes of their extension headers and the
-- bytes beyond the ordinary, the largest header chain, the header types and transport protocols seen.
WITH p AS (
    SELECT frame, time, src, dst, proto, ip6_ext, ip6_ext_len,
        ip6_ext_len - 8 * len(string_split(ip6_ext, ',')) AS excess
    FROM packets
    WHERE version = 6 AND ip6_ext IS NOT NULL AND ip6_ext_len IS NOT NULL
      AND list_has_any(string_split(ip6_ext, ','), ['0', '60'])
      AND NOT list_has_any(string_split(ip6_ext, ','), ['43', '51'])
),
g AS (
    SELECT src, dst,
        count(*) AS packets,
        sum(ip6_ext_len) AS ext_bytes,
        sum(excess) AS excess_bytes,
        avg(excess) AS avg_excess,
        max(ip6_ext_len) AS max_ext_len,
        string_agg(DISTINCT ip6_ext, ' | ' ORDER BY ip6_ext) AS chains,
        string_agg(DISTINCT proto::VARCHAR, ',' ORDER BY proto::VARCHAR) AS protos,
        min(time) AS first_ts, max(time) AS last_ts,
        list(frame ORDER BY frame) AS frames
    FROM p
    WHERE excess > 0
    GROUP BY ALL
    HAVING count(*) >= ${min_packets}
),
s AS (
    SELECT *,
        hunt_clamp(avg_excess / ${big_excess}) AS p_size,
        hunt_clamp(packets / (10 * ${min_packets})) AS p_volume
    FROM g
)
SELECT
    0.5 + 0.25 * p_size + 0.25 * p_volume AS score,
    json_object('size', round(p_size, 3), 'volume', round(p_volume, 3))::VARCHAR AS score_parts,
    src AS actor, dst AS target, first_ts, last_ts,
    format('{} sent {} IPv6 packets to {} whose option headers carry {} bytes beyond the 8 ordinary options need ({:.0f} per packet on average; headers {})',
           src, packets, dst, excess_bytes, avg_excess, chains) AS summary,
    json_object('packets', packets, 'ext_bytes', ext_bytes, 'excess_bytes', excess_bytes, 'avg_excess', round(avg_excess, 1),
                'max_ext_len', max_ext_len, 'header_chains', chains, 'protocols', protos)::VARCHAR AS evidence,
    []::VARCHAR[] AS uids, frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT frame, time, ip6_ext, ip6_ext_len, proto, sport, dport, payload FROM packets WHERE version = 6 AND src = ''{}'' AND dst = ''{}'' AND ip6_ext IS NOT NULL ORDER BY frame LIMIT 100', src, dst) AS dig_sql
FROM s
WHERE 0.5 + 0.25 * p_size + 0.25 * p_volume >= ${min_score}
