-- TLS without a server name (SNI) to an outside address, from a client stack rare in the capture.
--
-- Finds: handshakes that name no server (no SNI) to an external address (not private, loopback or link-local)
-- whose ClientHello fingerprint is rare in the capture: it reaches few of the servers the capture's handshakes
-- reach. Browsers and the usual libraries send SNI and reach most of a capture's servers; malware and implants
-- often connect to a bare address with a TLS stack of their own (a JA4 seen nowhere else). Prevalence is counted
-- in servers, not handshakes, so that an implant calling back often does not make its own fingerprint common
-- (JA4+ rarity and the "rare JA3" hunts count prevalence in hosts; a capture often has one client, so servers
-- stand in for them). One finding per client and fingerprint.
--
-- The fingerprint compared is JA4 without its SNI flag: the protocol and version (JA4_a's first three
-- characters) and the hashes of the cipher suites (JA4_b) and of the extensions (JA4_c, which leaves out SNI
-- and ALPN). The full JA4 holds 'd' (SNI sent) or 'i' (no SNI) and the count of extensions, so a stack that
-- sends SNI elsewhere and none here would otherwise look rare for that reason alone.
--
-- Rarity is judged within the capture: with fewer than min_handshakes handshakes, or handshakes reaching fewer
-- than min_servers servers, the capture is too small to say what is rare, and such handshakes are reported as
-- "too little data to judge" at score 0 (info), never guessed at. Handshakes without a JA4 (no ClientHello seen)
-- are left out.
--
-- needs: tls
--
-- param min_handshakes = 20      handshakes with a JA4 in the capture before rarity is judged (as beacon's min_connections: the conn_count > 20 filter of the public ports of RITA)
-- param min_servers = 10         server addresses the capture's handshakes reach before rarity is judged (one server is then at most 10% of them)
-- param rare_share = 0.1         share of the capture's server addresses, at or under which a fingerprint that reaches them is rare
-- param min_score = 0.4          findings under this score are not reported (except the "too little data" notes)
--
-- Score = 0.5 + 0.3 x rarity, rarity = 1 - share / rare_share (0 at rare_share, 1 for a fingerprint that
-- reaches one of very many servers); share = servers the fingerprint reaches / servers all handshakes reach.
--
-- Returns: actor = client, target = the JA4 of the handshakes without SNI; evidence: those handshakes, the
-- servers they went to, the fingerprint's handshakes, servers and share in the capture, the capture's
-- handshakes, servers and distinct fingerprints, self-signed certificates seen on those handshakes; or the "too
-- little data" note.
WITH t AS (
    SELECT *, substr(ja4, 1, 3) || '_' || split_part(ja4, '_', 2) || '_' || split_part(ja4, '_', 3) AS stack
    FROM tls
    WHERE ja4 IS NOT NULL AND ja4 <> ''
),
total AS (
    SELECT count(*) AS n, count(DISTINCT resp_h) AS servers_all, count(DISTINCT stack) AS stacks FROM t
),
per_stack AS (
    SELECT stack, count(*) AS stack_n, count(DISTINCT resp_h) AS stack_servers FROM t GROUP BY stack
),
c AS (
    SELECT t.*
    FROM t
    WHERE (server_name IS NULL OR server_name = '') AND resp_h IS NOT NULL
      AND NOT hunt_private(resp_h) AND NOT hunt_multicast(resp_h)
),
g AS (
    SELECT c.orig_h, c.stack,
        count(*) AS handshakes,
        count(DISTINCT c.resp_h) AS servers,
        string_agg(DISTINCT (CASE WHEN contains(c.resp_h, ':') THEN '[' || c.resp_h || ']' ELSE c.resp_h END) || ':' || c.resp_p, ',') AS server_list,
        string_agg(DISTINCT c.ja4, ',' ORDER BY c.ja4) AS ja4s,
        count(*) FILTER (WHERE c.cert_self_signed) AS self_signed,
        min(c.ts) AS first_ts, max(c.ts) AS last_ts,
        list(DISTINCT c.uid) AS uids,
        list(c.client_hello_frame ORDER BY c.client_hello_frame) FILTER (WHERE c.client_hello_frame IS NOT NULL) AS frames,
        arg_min(hunt_flow(c.orig_h, c.orig_p, c.resp_h, c.resp_p), c.ts) AS flow
    FROM c
    GROUP BY ALL
),
s AS (
    SELECT g.*, p.stack_n, p.stack_servers, total.n, total.servers_all, total.stacks,
        p.stack_servers / greatest(total.servers_all, 1) AS share,
        total.n < ${min_handshakes} OR total.servers_all < ${min_servers} AS too_few
    FROM g JOIN per_stack p USING (stack) CROSS JOIN total
)
SELECT
    CASE WHEN too_few THEN 0 ELSE 0.5 + 0.3 * hunt_clamp(1 - share / ${rare_share}) END AS score,
    json_object('rare', 1.0, 'rarity', round(CASE WHEN too_few THEN 0 ELSE hunt_clamp(1 - share / ${rare_share}) END, 3))::VARCHAR AS score_parts,
    orig_h AS actor,
    left(ja4s, 200) AS target,
    first_ts, last_ts,
    CASE WHEN too_few
        THEN format('too little data to judge: {} handshake(s) without SNI from {} to {} (JA4 {}), but the capture has {} handshakes to {} servers; {} handshakes and {} servers are needed to say what is rare',
                    handshakes, orig_h, left(server_list, 120), left(ja4s, 120), n, servers_all, ${min_handshakes}::INT, ${min_servers}::INT)
        ELSE format('{} handshake(s) without SNI from {} to {} with a client fingerprint that reaches {} of the capture''s {} servers ({} of its {} handshakes; JA4 {})',
                    handshakes, orig_h, left(server_list, 120), stack_servers, servers_all, stack_n, n, left(ja4s, 120))
    END AS summary,
    json_object('handshakes', handshakes, 'servers', server_list, 'ja4', ja4s, 'stack', stack,
                'stack_handshakes', stack_n, 'stack_servers', stack_servers, 'capture_handshakes', n,
                'capture_servers', servers_all, 'capture_stacks', stacks,
                'share', round(share, 4), 'self_signed', self_signed, 'judged', NOT too_few)::VARCHAR AS evidence,
    uids, frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    format('SELECT ts, uid, orig_h, resp_h, resp_p, server_name, version, ja4, subject, issuer FROM tls WHERE orig_h = ''{}'' AND (server_name IS NULL OR server_name = '''') ORDER BY ts',
           orig_h) AS dig_sql
FROM s
WHERE too_few OR (share <= ${rare_share} AND 0.5 + 0.3 * hunt_clamp(1 - share / ${rare_share}) >= ${min_score})
