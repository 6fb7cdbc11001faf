-- DNS tunnelling and exfiltration, per base domain.
--
-- Finds: a base domain (the registered domain, dns.base_domain) whose query names carry data: long, high-entropy,
-- all-different subdomains, often with TXT/NULL/CNAME/MX/ANY/private query types, as iodine, dnscat2, dns2tcp,
-- DNSExfiltrator and the <seq>.<chunk>.<domain> scripts make them. One query is enough when its name is long and
-- random enough (a one-shot exfiltration); volume raises the score.
--
-- needs: dns
--
-- param long_subdomain = 52      subdomain length (characters) that counts as fully "long": the |query| > 52 rule of the published Zeek/Bro DNS-exfiltration notices (e.g. Smurfs0nParade/Bro-Zeek_IDS_Signature_Based_Detection dnsexfilitration.bro); 52 also leaves room under the 63-byte label limit of RFC 1035
-- param short_subdomain = 20     subdomain length under which the length part is 0 (CDN and service names such as r3---sn-abc.googlevideo.com stay under it on average)
-- param high_entropy = 4.0       Shannon entropy (bits per character) of the subdomain that counts as fully random: base32/hex data of 50+ characters measures 3.5-4.5, English-like names 2.5-3.3 (Born and Gustafson, "Detecting DNS tunnels using character frequency analysis", 2010)
-- param low_entropy = 2.5        entropy under which the entropy part is 0
-- param many_subdomains = 50     unique subdomains of one base domain that count as fully "many" (Zeek dns-tunnels scripts alert at request_count_threshold = 100 per interval; half of it, since captures are short)
-- param min_score = 0.3          findings under this score are not reported
--
-- Score = 0.35 length + 0.25 entropy x length + 0.15 query type + 0.25 volume, each part 0-1 (the entropy of a
-- short name is high whatever it holds, since it is bounded by log2 of the length: entropy counts in proportion
-- to the length part; Netalyzr's 31-character TXT test names measure 4.1 bits/char):
--   length = (average subdomain length - short_subdomain) / (long_subdomain - short_subdomain)
--   entropy = (average subdomain entropy - low_entropy) / (high_entropy - low_entropy)
--   qtype = share of queries of type TXT, NULL, CNAME, MX, ANY or private (65280-65534)
--   volume = unique subdomains / many_subdomains
-- Reverse lookups (in-addr.arpa, ip6.arpa), multicast DNS (.local, port 5353) and DNS-SD names are left out.
--
-- Returns: actor = the client (or clients), target = the base domain; evidence: queries, unique subdomains,
-- average and longest subdomain, entropy, query types, NXDOMAIN share, bytes carried in names and in answers,
-- resolvers.
WITH q AS (
    SELECT *
    FROM dns
    WHERE base_domain IS NOT NULL AND subdomain IS NOT NULL AND subdomain <> ''
      AND resp_p <> 5353 AND orig_p <> 5353
      AND lower(base_domain) NOT IN ('in-addr.arpa', 'ip6.arpa', 'local')
      AND NOT lower(base_domain) LIKE '%.arpa'
      AND NOT lower(base_domain) LIKE '%.local'
      AND NOT subdomain LIKE '\_%' ESCAPE '\'
),
g AS (
    SELECT
        lower(base_domain) AS domain,
        count(*) AS queries,
        count(DISTINCT lower(subdomain)) AS unique_subdomains,
        avg(length(subdomain)) AS avg_len,
        max(length(subdomain)) AS max_len,
        avg(subdomain_entropy) AS avg_entropy,
        avg(CASE WHEN qtype IN (5, 10, 15, 16, 255) OR qtype BETWEEN 65280 AND 65534 THEN 1.0 ELSE 0.0 END) AS odd_qtype_share,
        avg(CASE WHEN rcode_name IN ('NXDOMAIN', 'FORMERR') THEN 1.0 ELSE 0.0 END) AS nxdomain_share,
        sum(length(subdomain)) AS name_bytes,
        sum(coalesce(response_size, 0)) AS answer_bytes,
        string_agg(DISTINCT qtype_name, ',' ORDER BY qtype_name) AS qtypes,
        string_agg(DISTINCT orig_h, ',' ORDER BY orig_h) AS clients,
        string_agg(DISTINCT resp_h, ',' ORDER BY resp_h) AS resolvers,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        list(DISTINCT uid) AS uids,
        list(query_frame ORDER BY query_frame) FILTER (WHERE query_frame IS NOT NULL) AS frames,
        arg_max(query, length(query)) AS longest_query
    FROM q
    GROUP BY 1
),
s AS (
    SELECT *,
        hunt_clamp((avg_len - ${short_subdomain}) / (${long_subdomain} - ${short_subdomain})) AS p_length,
        hunt_clamp((avg_entropy - ${low_entropy}) / (${high_entropy} - ${low_entropy})) AS p_entropy,
        hunt_clamp(odd_qtype_share) AS p_qtype,
        hunt_clamp(unique_subdomains / ${many_subdomains}) AS p_volume
    FROM g
)
SELECT
    0.35 * p_length + 0.25 * p_entropy * p_length + 0.15 * p_qtype + 0.25 * p_volume AS score,
    json_object('length', round(p_length, 3), 'entropy', round(p_entropy, 3), 'qtype', round(p_qtype, 3),
                'volume', round(p_volume, 3))::VARCHAR AS score_parts,
    CASE WHEN length(clients) > 200 THEN left(clients, 200) || '...' ELSE clients END AS actor,
    domain AS target,
    first_ts, last_ts,
    format('{} queries under {} carry {} unique subdomains of {:.0f} characters on average (entropy {:.2f} bits/char, types {})',
           queries, domain, unique_subdomains, avg_len, avg_entropy, qtypes) AS summary,
    json_object('queries', queries, 'unique_subdomains', unique_subdomains, 'avg_subdomain_len', round(avg_len, 1),
                'max_subdomain_len', max_len, 'avg_entropy', round(avg_entropy, 3), 'qtypes', qtypes,
                'odd_qtype_share', round(odd_qtype_share, 3), 'nxdomain_share', round(nxdomain_share, 3),
                'name_bytes', name_bytes, 'answer_bytes', answer_bytes, 'resolvers', resolvers,
                'longest_query', left(longest_query, 255))::VARCHAR AS evidence,
    uids, frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT ts, orig_h, resp_h, qtype_name, rcode_name, query, answers FROM dns WHERE lower(base_domain) = ''{}'' ORDER BY ts',
           replace(domain, '''', '''''')) AS dig_sql
FROM s
WHERE 0.35 * p_length + 0.25 * p_entropy * p_length + 0.15 * p_qtype + 0.25 * p_volume >= ${min_score}
