-- High-entropy bulk payload on a port whose protocol nothing recognised.
--
-- Finds: a file or an encrypted/compressed stream moved over a port that no analyzer and no port-based guess
-- names (flows.service is NULL, and neither port is in the services table of well-known ports): hand-made exfiltration channels (nc, a script's socket), custom C2, the
-- notebook capture's image sent to 192.168.1.100:7070 right after a chat on port 5050. The payload entropy is
-- measured on a sample of the flow's packets (the first sample_packets packets with payload, the first
-- sample_bytes bytes of each); compressed, encrypted and most media files measure 7.5-8 bits per byte, text and
-- protocol chatter 3-6.
--
-- needs: flows, packets, services
--
-- param min_bytes = 50000        bytes one side must send to count as bulk (the smallest JPEG/PNG photos and zip files are tens of kilobytes; chat, banners and handshakes are far under)
-- param low_entropy = 6.0        payload entropy (bits per byte) under which the entropy part is 0 (text, HTML and uncompressed protocols stay under 6)
-- param high_entropy = 7.5       payload entropy at which the entropy part is 1: the threshold used for encrypted/compressed content in entropy-based traffic classification (e.g. Zeek's and Suricata's file-entropy heuristics; random data of 16 KiB measures 7.99)
-- param min_one_sided = 0.6      one-sidedness (below) a flow needs to be a transfer rather than a conversation: the larger side carries at least 80% of the bytes (video calls and games send both ways)
-- param sample_packets = 64      packets per flow sampled for the entropy
-- param sample_bytes = 256       bytes per packet sampled
-- param min_score = 0.4          findings under this score are not reported
--
-- Score = 0.5 entropy + 0.2 one-sidedness + 0.3 volume, each 0-1:
--   entropy = (sample entropy - low_entropy) / (high_entropy - low_entropy)
--   one-sidedness = larger side's bytes / both sides' bytes, from 0.5 (balanced) to 1 (one way) rescaled to 0-1
--   volume = log10(bytes of the larger side / min_bytes) / 2 (1 at 100 x min_bytes)
--
-- Returns: actor = the side that sent the bulk (client or server address), target = the other side:port;
-- evidence: bytes each way, entropy, duration, the flows between the same two hosts before this one (e.g. a chat
-- on another port); flow to follow and the side to carve (follow --format raw --side ... -o FILE).
WITH cand AS (
    SELECT uid, ts, coalesce(end_ts, ts) AS end_ts, orig_h, orig_p, resp_h, resp_p, proto, duration,
           coalesce(orig_bytes, 0) AS orig_bytes, coalesce(resp_bytes, 0) AS resp_bytes,
           CASE proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 END AS ipproto
    FROM flows
    WHERE service IS NULL AND proto IN ('tcp', 'udp')
      -- a well-known port (the services table: 443/udp is QUIC, 1194/udp OpenVPN, ...) is recognised by convention
      AND NOT EXISTS (SELECT 1 FROM services sv WHERE sv.transport = flows.proto AND sv.port IN (flows.resp_p, flows.orig_p))
      AND greatest(coalesce(orig_bytes, 0), coalesce(resp_bytes, 0)) >= ${min_bytes}
),
pk AS (
    -- two equi-joins (one per direction) rather than one join on OR: DuckDB hashes them, so the cost grows with
    -- the packets, not with packets x candidates
    SELECT uid, frame, hex, row_number() OVER (PARTITION BY uid ORDER BY frame) AS k
    FROM (
        SELECT c.uid, p.frame, substr(p.payload_hex, 1, 2 * ${sample_bytes}) AS hex
        FROM cand c JOIN packets p
          ON p.proto = c.ipproto AND p.sport = c.orig_p AND p.dport = c.resp_p AND p.src = c.orig_h AND p.dst = c.resp_h
        WHERE p.payload > 0 AND p.time BETWEEN c.ts AND c.end_ts
        UNION ALL
        SELECT c.uid, p.frame, substr(p.payload_hex, 1, 2 * ${sample_bytes})
        FROM cand c JOIN packets p
          ON p.proto = c.ipproto AND p.sport = c.resp_p AND p.dport = c.orig_p AND p.src = c.resp_h AND p.dst = c.orig_h
        WHERE p.payload > 0 AND p.time BETWEEN c.ts AND c.end_ts
    )
),
ent AS (
    SELECT uid, entropy(b) AS entropy, count(*) AS sampled_bytes
    FROM (SELECT uid, unnest(regexp_extract_all(hex, '..')) AS b FROM pk WHERE k <= ${sample_packets})
    GROUP BY uid
),
frames AS (
    SELECT uid, list(frame ORDER BY frame) AS frames FROM pk WHERE k <= ${sample_packets} GROUP BY uid
),
prior AS (
    SELECT uid,
           list(resp_p || '/' || proto || coalesce(' ' || service, '') || ' ' || bytes || ' bytes' ORDER BY ts) AS before
    FROM (
        SELECT c.uid, f.ts, f.resp_p, f.proto, f.service, coalesce(f.orig_bytes, 0) + coalesce(f.resp_bytes, 0) AS bytes
        FROM cand c JOIN flows f ON f.orig_h = c.orig_h AND f.resp_h = c.resp_h
        WHERE f.uid <> c.uid AND f.ts <= c.ts
        UNION ALL
        SELECT c.uid, f.ts, f.resp_p, f.proto, f.service, coalesce(f.orig_bytes, 0) + coalesce(f.resp_bytes, 0)
        FROM cand c JOIN flows f ON f.orig_h = c.resp_h AND f.resp_h = c.orig_h
        WHERE f.uid <> c.uid AND f.ts <= c.ts
    )
    GROUP BY uid
),
s AS (
    SELECT c.*, e.entropy, e.sampled_bytes, fr.frames, pr.before,
        greatest(c.orig_bytes, c.resp_bytes) AS bulk,
        c.orig_bytes >= c.resp_bytes AS client_sends,
        hunt_clamp((e.entropy - ${low_entropy}) / (${high_entropy} - ${low_entropy})) AS p_entropy,
        hunt_clamp(2 * greatest(c.orig_bytes, c.resp_bytes) / greatest(c.orig_bytes + c.resp_bytes, 1) - 1) AS p_onesided,
        hunt_clamp(log10(greatest(c.orig_bytes, c.resp_bytes) / ${min_bytes}) / 2) AS p_volume
    FROM cand c JOIN ent e USING (uid) LEFT JOIN frames fr USING (uid) LEFT JOIN prior pr USING (uid)
)
SELECT
    0.5 * p_entropy + 0.2 * p_onesided + 0.3 * p_volume AS score,
    json_object('entropy', round(p_entropy, 3), 'one_sided', round(p_onesided, 3), 'volume', round(p_volume, 3))::VARCHAR AS score_parts,
    CASE WHEN client_sends THEN orig_h ELSE resp_h END AS actor,
    CASE WHEN client_sends THEN resp_h || ':' || resp_p ELSE orig_h || ':' || orig_p END || '/' || proto AS target,
    ts AS first_ts, end_ts AS last_ts,
    format('{} sent {} bytes of entropy {:.2f} bits/byte to {} on {}/{}, a port no analyzer recognised{}',
           CASE WHEN client_sends THEN orig_h ELSE resp_h END, bulk, entropy,
           CASE WHEN client_sends THEN resp_h ELSE orig_h END, proto, resp_p,
           CASE WHEN before IS NOT NULL THEN ', after ' || len(before) || ' earlier flow(s) between the same hosts (' || array_to_string(before[1:5], ', ') || ')' ELSE '' END) AS summary,
    json_object('orig_bytes', orig_bytes, 'resp_bytes', resp_bytes, 'entropy_bits_per_byte', round(entropy, 3),
                'sampled_bytes', sampled_bytes, 'duration_s', round(duration, 3),
                'earlier_flows_same_hosts', before[1:10])::VARCHAR AS evidence,
    [uid] AS uids, frames,
    hunt_flow(orig_h, orig_p, resp_h, resp_p) AS flow, proto AS flow_proto,
    CASE WHEN client_sends THEN 'client' ELSE 'server' END AS carve_side,
    format('SELECT frame, time, src, sport, dst, dport, payload, substr(payload_hex, 1, 64) AS head FROM packets WHERE proto = {} AND ((src = ''{}'' AND sport = {}) OR (dst = ''{}'' AND dport = {})) AND payload > 0 ORDER BY frame LIMIT 50',
           ipproto, orig_h, orig_p, orig_h, orig_p) AS dig_sql
FROM s
WHERE 0.5 * p_entropy + 0.2 * p_onesided + 0.3 * p_volume >= ${min_score} AND p_onesided >= ${min_one_sided}
