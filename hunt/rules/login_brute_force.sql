-- Login brute force seen in the replies: many failed logins from one client to one server, from the credentials
-- table (FTP 530, SMTP 535, POP3 -ERR, IMAP NO/BAD, IRC 464, HTTP 401/403/407, SMB logon failure) and the ssh
-- table (attempts Zeek's size heuristic infers in the encrypted SSH connections whose authentication failed).
--
-- Finds: password guessing (hydra, medusa, ncrack, scripts) against FTP, SMTP, POP3, IMAP, HTTP auth, SMB and
-- SSH. Unlike brute_force (the shape of the flows), it counts refusals the server sent, so a client that logs in
-- once, or mistypes a password twice, stays quiet, and guessing inside a few long connections is seen too.
--
-- needs: credentials, ssh
--
-- param failures = 20        refused logins at which the count part is 1 (cleartext protocols): Zeek's FTP::bruteforce_threshold = 20 (policy/protocols/ftp/detect-bruteforcing.zeek)
-- param ssh_guesses = 30     failed SSH attempts at which the count part is 1: Zeek's SSH::password_guesses_limit = 30 (policy/protocols/ssh/detect-bruteforcing.zeek); Zeek counts one guess per connection whose login failed, here the attempts inferred inside each such connection are counted (OpenSSH allows 6 per connection, MaxAuthTries)
-- param min_failures = 8     fewest refused logins (or failed SSH attempts) judged at all
-- param min_score = 0.4      findings under this score are not reported
--
-- Score = 0.7 count + 0.3 failed, each 0-1:
--   count  = refused logins / failures (ssh: failed attempts / ssh_guesses)
--   failed = share of the attempts that failed (a login that worked among the guesses lowers it)
--
-- Returns: actor = client, target = server:port (protocol); evidence: attempts, refused, accepted, users tried,
-- connections; for ssh the connections whose login failed and the inferred attempts.
WITH cred AS (
    SELECT orig_h, resp_h, resp_p, protocol,
        count(*) AS attempts,
        count(*) FILTER (WHERE accepted = false) AS failed,
        count(*) FILTER (WHERE accepted) AS ok,
        count(DISTINCT coalesce(username, '')) AS users,
        count(DISTINCT uid) AS connections,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(DISTINCT uid) AS uids,
        flatten(list(coalesce(frames, []::BIGINT[]) ORDER BY ts) FILTER (WHERE accepted = false)) AS frames,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow,
        ${failures} AS limit_n
    FROM credentials
    GROUP BY ALL
),
sshg AS (
    SELECT orig_h, resp_h, resp_p, 'ssh' AS protocol,
        sum(CASE WHEN auth_success THEN greatest(coalesce(auth_attempts, 0), 1) ELSE coalesce(auth_attempts, 0) END) AS attempts,
        sum(CASE WHEN auth_success THEN greatest(coalesce(auth_attempts, 0) - 1, 0) ELSE coalesce(auth_attempts, 0) END) AS failed,
        count(*) FILTER (WHERE auth_success) AS ok,
        NULL::BIGINT AS users,
        count(*) AS connections,
        count(*) FILTER (WHERE auth_success = false) AS failed_connections,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(uid ORDER BY ts) AS uids,
        []::BIGINT[] AS frames,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow,
        ${ssh_guesses} AS limit_n
    FROM ssh
    GROUP BY orig_h, resp_h, resp_p
),
a AS (
    SELECT orig_h, resp_h, resp_p, protocol, attempts, failed, ok, users, connections, NULL::BIGINT AS failed_connections,
           first_ts, last_ts, uids, frames, flow, limit_n FROM cred
    UNION ALL
    SELECT orig_h, resp_h, resp_p, protocol, attempts, failed, ok, users, connections, failed_connections,
           first_ts, last_ts, uids, frames, flow, limit_n FROM sshg
),
s AS (
    SELECT *,
        hunt_clamp(failed / limit_n) AS p_count,
        CASE WHEN attempts > 0 THEN hunt_clamp(failed / attempts) ELSE 0 END AS p_failed
    FROM a
    WHERE failed >= ${min_failures}
)
SELECT
    0.7 * p_count + 0.3 * p_failed AS score,
    json_object('count', round(p_count, 3), 'failed', round(p_failed, 3))::VARCHAR AS score_parts,
    orig_h AS actor, resp_h || ':' || resp_p || ' (' || protocol || ')' AS target, first_ts, last_ts,
    CASE WHEN protocol = 'ssh'
        THEN format('{} failed SSH login attempts (inferred from encrypted sizes) from {} to {}:{} in {} connections, {} of them failed, {} succeeded',
                    failed, orig_h, resp_h, resp_p, connections, failed_connections, ok)
        ELSE format('{} of {} {} logins from {} to {}:{} refused ({} user names, {} connections, {} accepted)',
                    failed, attempts, protocol, orig_h, resp_h, resp_p, users, connections, ok)
    END AS summary,
    json_object('protocol', protocol, 'attempts', attempts, 'failed', failed, 'accepted', ok, 'users', users,
                'connections', connections, 'failed_connections', failed_connections, 'limit', limit_n)::VARCHAR AS evidence,
    uids, frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    CASE WHEN protocol = 'ssh'
        THEN format('SELECT ts, uid, orig_p, auth_success, auth_attempts, client, server FROM ssh WHERE orig_h = ''{}'' AND resp_h = ''{}'' AND resp_p = {} ORDER BY ts', orig_h, resp_h, resp_p)
        ELSE format('SELECT ts, uid, mechanism, username, accepted, reply, frames FROM credentials WHERE protocol = ''{}'' AND orig_h = ''{}'' AND resp_h = ''{}'' AND resp_p = {} ORDER BY ts', protocol, orig_h, resp_h, resp_p)
    END AS dig_sql
FROM s
WHERE 0.7 * p_count + 0.3 * p_failed >= ${min_score}
