-- TLS servers at outside addresses that present a self-signed leaf certificate.
--
-- Finds: a server at an external address (not private, loopback or link-local) whose leaf certificate is
-- self-signed (tls.cert_self_signed: the issuer is the subject and the signature verifies with the certificate's
-- own key), as C2 servers and quickly stood-up implants present them (Metasploit's and Cobalt Strike's default
-- certificates, openssl req -x509): public servers present certificates a CA issued. Zeek's
-- policy/protocols/ssl/validate-certs.zeek reports the same case as an SSL::Invalid_Server_Cert notice ("self
-- signed certificate"). One finding per server address, port and certificate.
--
-- TLS 1.3 encrypts the certificate: a TLS 1.3 handshake shows no leaf certificate (the subject, issuer and
-- cert_self_signed columns are null), so this detector cannot judge it and says nothing about it; nor does it
-- count the absence of a certificate against a server.
--
-- needs: tls
--
-- param base_score = 0.6         score of a self-signed leaf at an outside address (severity medium)
-- param name_score = 0.2         added when no handshake to the server named it (no SNI) or the name is not one the certificate is valid for (sni_matches_cert false): the client knew where it was going without a name
-- param repeat_score = 0.1       added when the clients came back: at least min_repeats handshakes
-- param min_repeats = 3          handshakes to the server that count as coming back
--
-- Score = base_score + name_score x (no SNI or SNI not in the certificate) + repeat_score x (handshakes >= min_repeats).
--
-- Returns: actor = the clients, target = server address:port; evidence: handshakes, clients, subject, issuer,
-- certificate SHA-256 and validity, server names asked for, whether any matched the certificate, versions,
-- established handshakes, JA4 fingerprints.
WITH t AS (
    SELECT *
    FROM tls
    WHERE cert_self_signed AND resp_h IS NOT NULL
      AND NOT hunt_private(resp_h) AND NOT hunt_multicast(resp_h)
),
g AS (
    SELECT resp_h, resp_p, cert_sha256,
        count(*) AS handshakes,
        count(*) FILTER (WHERE established) AS established,
        count(DISTINCT orig_h) AS clients,
        string_agg(DISTINCT orig_h, ',' ORDER BY orig_h) AS client_list,
        any_value(subject) AS subject,
        any_value(issuer) AS issuer,
        any_value(cert_not_before) AS not_before,
        any_value(cert_not_after) AS not_after,
        string_agg(DISTINCT server_name, ',' ORDER BY server_name) FILTER (WHERE server_name IS NOT NULL AND server_name <> '') AS names,
        bool_or(coalesce(sni_matches_cert, false)) AS name_matched,
        count(*) FILTER (WHERE server_name IS NULL OR server_name = '') AS no_sni,
        string_agg(DISTINCT version, ',' ORDER BY version) AS versions,
        string_agg(DISTINCT ja4, ',' ORDER BY ja4) AS ja4s,
        min(ts) AS first_ts, max(ts) AS last_ts,
        list(DISTINCT uid) AS uids,
        list(server_hello_frame ORDER BY server_hello_frame) FILTER (WHERE server_hello_frame IS NOT NULL) AS frames,
        arg_min(hunt_flow(orig_h, orig_p, resp_h, resp_p), ts) AS flow,
        (CASE WHEN contains(resp_h, ':') THEN '[' || resp_h || ']' ELSE resp_h END) || ':' || resp_p AS server
    FROM t
    GROUP BY ALL
),
s AS (
    SELECT *,
        CASE WHEN NOT name_matched THEN 1.0 ELSE 0.0 END AS p_name,
        CASE WHEN handshakes >= ${min_repeats} THEN 1.0 ELSE 0.0 END AS p_repeat
    FROM g
)
SELECT
    ${base_score} + ${name_score} * p_name + ${repeat_score} * p_repeat AS score,
    json_object('self_signed', 1.0, 'no_name', p_name, 'repeat', p_repeat)::VARCHAR AS score_parts,
    CASE WHEN length(client_list) > 200 THEN left(client_list, 200) || '...' ELSE client_list END AS actor,
    server AS target,
    first_ts, last_ts,
    format('{} presents a self-signed certificate ({}) to {} client(s) in {} handshake(s){}',
           server, left(coalesce(subject, '(empty subject)'), 120), clients, handshakes,
           CASE WHEN names IS NULL THEN ', none of which named a server (no SNI)'
                WHEN NOT name_matched THEN ', for names the certificate is not valid for: ' || left(names, 120)
                ELSE ', for ' || left(names, 120) END) AS summary,
    json_object('handshakes', handshakes, 'established', established, 'clients', clients, 'subject', left(subject, 255),
                'issuer', left(issuer, 255), 'cert_sha256', cert_sha256, 'not_before', not_before::VARCHAR,
                'not_after', not_after::VARCHAR, 'server_names', left(names, 255), 'sni_matches_cert', name_matched,
                'handshakes_without_sni', no_sni, 'versions', versions, 'ja4', left(ja4s, 255))::VARCHAR AS evidence,
    uids, frames,
    flow, 'tcp' AS flow_proto, NULL AS carve_side,
    format('SELECT ts, uid, orig_h, resp_h, resp_p, version, server_name, subject, issuer, cert_not_before, cert_not_after, ja4 FROM tls WHERE resp_h = ''{}'' AND resp_p = {} AND cert_sha256 = ''{}'' ORDER BY ts',
           resp_h, resp_p, cert_sha256) AS dig_sql
FROM s
