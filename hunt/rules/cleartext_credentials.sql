-- Cleartext credentials: logins whose user name and password (or a crackable stand-in for it) crossed the wire
-- readable, from the credentials table, one finding per protocol, server and user.
--
-- Finds: FTP, Telnet, POP3, IMAP, SMTP AUTH, IRC and HTTP Basic logins in clear, and the challenge-response forms
-- (HTTP Digest, APOP, CRAM-MD5, NetNTLMv1/v2) that an observer can crack offline. The password itself is never
-- written into the finding: it stays in the credentials table (marked SENSITIVE), and dig_sql is the query that
-- shows it.
--
-- needs: credentials
--
-- param accepted_clear = 0.9      score of a cleartext password the server accepted: a working secret in clear (high)
-- param accepted_hashed = 0.65    score of an accepted challenge response (Digest, APOP, CRAM-MD5, NetNTLM): crackable offline, NetNTLMv1 easily (medium)
-- param unknown_clear = 0.7       score of a cleartext password with no deciding reply seen (it may have worked)
-- param unknown_hashed = 0.45     score of a challenge response with no deciding reply seen
-- param rejected_clear = 0.45     score of cleartext passwords all refused: a guess or a typo, often one letter from the real one (low)
-- param rejected_hashed = 0.2     score of challenge responses all refused (info)
-- param anonymous = 0.1           score of anonymous logins (info): FTP user anonymous or ftp (RFC 1635: the "password" is an e-mail address by convention), and logins that carried no secret (secret_type none, such as an SMB null session, or no user and no password)
--
-- Score: the parameter of the best case seen for the (protocol, server, user): accepted over unknown over refused,
-- cleartext over challenge response. Severity follows from it (high 0.8, medium 0.6, low 0.4).
--
-- Returns: actor = client (the first one; evidence lists how many), target = server:port (protocol user);
-- evidence: protocol, mechanisms, secret types, attempts, accepted/refused/undecided counts, clients.
WITH c AS (
    SELECT *,
        coalesce(secret_type, '') = 'cleartext' AS clear,
        (lower(coalesce(username, '')) IN ('anonymous', 'ftp') AND protocol = 'ftp')
            OR coalesce(secret_type, 'none') = 'none'
            OR (coalesce(username, '') = '' AND coalesce(password, '') = '') AS anon
    FROM credentials
),
g AS (
    SELECT protocol, resp_h, resp_p, coalesce(username, '') AS username,
        count(*) AS n,
        count(*) FILTER (WHERE accepted) AS n_accepted,
        count(*) FILTER (WHERE NOT accepted) AS n_refused,
        count(*) FILTER (WHERE accepted IS NULL) AS n_unknown,
        bool_or(clear) AS any_clear,
        bool_and(anon) AS all_anon,
        max(CASE WHEN anon THEN ${anonymous}
                 WHEN accepted AND clear THEN ${accepted_clear}
                 WHEN accepted THEN ${accepted_hashed}
                 WHEN accepted IS NULL AND clear THEN ${unknown_clear}
                 WHEN accepted IS NULL THEN ${unknown_hashed}
                 WHEN clear THEN ${rejected_clear}
                 ELSE ${rejected_hashed} END) AS score,
        string_agg(DISTINCT mechanism, ', ' ORDER BY mechanism) AS mechanisms,
        string_agg(DISTINCT secret_type, ', ' ORDER BY secret_type) AS secret_types,
        count(DISTINCT orig_h) AS clients,
        arg_min(orig_h, ts) AS actor,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(DISTINCT uid) AS uids,
        flatten(list(coalesce(frames, []::BIGINT[]) ORDER BY ts)) AS frames,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow
    FROM c
    GROUP BY protocol, resp_h, resp_p, coalesce(username, '')
)
SELECT
    hunt_clamp(score) AS score,
    json_object('case', round(score, 3))::VARCHAR AS score_parts,
    actor, resp_h || ':' || resp_p || ' (' || protocol || ' user ' || username || ')' AS target, first_ts, last_ts,
    format('{} {} login{} for user "{}" to {}:{} ({}): {} accepted, {} refused, {} undecided; the {} is in the credentials table',
           n, protocol, CASE WHEN n = 1 THEN '' ELSE 's' END, username, resp_h, resp_p, mechanisms,
           n_accepted, n_refused, n_unknown,
           CASE WHEN all_anon THEN 'anonymous login (no real secret)' WHEN any_clear THEN 'password (in clear)' ELSE 'challenge response (crackable offline)' END) AS summary,
    json_object('protocol', protocol, 'mechanisms', mechanisms, 'secret_types', secret_types, 'attempts', n,
                'accepted', n_accepted, 'refused', n_refused, 'undecided', n_unknown, 'clients', clients,
                'anonymous', all_anon)::VARCHAR AS evidence,
    uids, frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    format('SELECT ts, orig_h, mechanism, username, password, secret_type, accepted, reply, frames FROM credentials WHERE protocol = ''{}'' AND resp_h = ''{}'' AND resp_p = {} AND coalesce(username, '''') = ''{}'' ORDER BY ts',
           protocol, resp_h, resp_p, replace(username, '''', '''''')) AS dig_sql
FROM g
