-- DNS tunnelling and exfiltration per client -> resolver, when the names have no common base domain.
--
-- Finds: a client that sends one resolver many long, high-entropy, all-different names that share no base
-- domain, which dns_tunnel (per base domain) cannot see: a tunnel or exfiltration script talking straight to its
-- own DNS server with names under no registered suffix (dnscat2 without a domain sends dnscat.<hex>, and a name's
-- last two labels then make its "base domain", different for every query), or one that spreads its queries over
-- many domains (one or two names each). Only the names whose base domain holds at most max_names_per_base
-- unique names from that client to that resolver are judged here (the rest are dns_tunnel's), and of those only
-- the names at least short_name characters long: ordinary lookups spread over many base domains too, but their
-- names are short (13-18 characters on average, at most 32, on the corpus's resolvers with 55-90 base domains:
-- pcapplusplus DnsPackets and many-protocols), and a busy client's ordinary lookups would otherwise dilute a
-- tunnel's names in an average.
--
-- needs: dns
--
-- param max_names_per_base = 2   unique names under one base domain (from one client to one resolver) up to which the base domain is "not common" and its names are judged here; dns_tunnel judges the others
-- param long_name = 52           average name length (characters, dots left out) that counts as fully long: the |query| > 52 rule of the published Zeek/Bro DNS-exfiltration notices, which measures the whole query (dns_tunnel.sql's long_subdomain)
-- param short_name = 30          names shorter than this (characters, dots left out) are not judged, and the length part is 0 at this average (ordinary names average 13-18 characters on the corpus's resolvers, the longest is 32)
-- param high_entropy = 4.0       Shannon entropy (bits per character) of a name that counts as fully random (Born and Gustafson 2010; dns_tunnel.sql's high_entropy)
-- param low_entropy = 3.0        entropy under which the entropy part is 0 (ordinary names measure 3.1-3.3 on average, bounded by log2 of their short length)
-- param many_names = 50          unique long names that count as fully "many" (dns_tunnel.sql's many_subdomains)
-- param min_names = 10           fewest unique long names before a client -> resolver pair is judged; from min_names_note to min_names they are reported as "too little data to judge" at score 0 (info)
-- param min_names_note = 3       fewest unique long names for the "too little data" note
-- param min_score = 0.35         findings under this score are not reported (the volume part alone reaches at most 0.3: the names must also be longer than short_name on average)
--
-- Score = 0.4 length + 0.3 entropy x length + 0.3 volume, each part 0-1 (as dns_tunnel, the entropy of a name
-- counts in proportion to its length part, since a short name's entropy is bounded by log2 of its length):
--   length = (average length of the long names - short_name) / (long_name - short_name)
--   entropy = (average entropy of the long names - low_entropy) / (high_entropy - low_entropy)
--   volume = unique long names / many_names
-- Reverse lookups (.arpa), multicast DNS (.local, port 5353) and DNS-SD names (labels starting with _) are left
-- out, as in dns_tunnel. The entropy is that of the name's characters, dots left out, case kept.
--
-- Returns: actor = the client, target = the resolver; evidence: queries and unique long names judged, base
-- domains they fall under, average and longest name, entropy, query types, NXDOMAIN share, bytes carried in
-- names, whether the resolver is an external address, the pair's short names and its queries left to dns_tunnel
-- (common base); or the "too little data to judge" note.
WITH q AS (
    SELECT *, coalesce(lower(base_domain), lower(query)) AS base, length(replace(query, '.', '')) AS name_len
    FROM dns
    WHERE query IS NOT NULL AND query <> '.' AND orig_h IS NOT NULL AND resp_h IS NOT NULL
      AND resp_p <> 5353 AND orig_p <> 5353
      AND NOT lower(query) LIKE '%.arpa' AND NOT lower(query) LIKE '%.local'
      AND NOT query LIKE '\_%' ESCAPE '\' AND NOT query LIKE '%.\_%' ESCAPE '\'
),
b AS (
    SELECT orig_h, resp_h, base, count(DISTINCT lower(query)) AS names_under_base
    FROM q GROUP BY ALL
),
j0 AS (
    SELECT q.*, b.names_under_base,
        b.names_under_base <= ${max_names_per_base} AND q.name_len >= ${short_name} AS judged
    FROM q JOIN b USING (orig_h, resp_h, base)
),
-- the pairs with enough long names to be reported at all: the entropy (the costly part) is computed for theirs only
pairs AS (
    SELECT orig_h, resp_h FROM j0 WHERE judged GROUP BY ALL
    HAVING count(DISTINCT lower(query)) >= least(${min_names_note}, ${min_names})
),
j AS (
    SELECT j0.*,
        CASE WHEN judged THEN list_aggregate(string_split(replace(query, '.', ''), ''), 'entropy') END AS name_entropy
    FROM j0 SEMI JOIN pairs USING (orig_h, resp_h)
),
g AS (
    SELECT orig_h, resp_h,
        count(*) FILTER (WHERE judged) AS queries,
        count(DISTINCT lower(query)) FILTER (WHERE judged) AS names,
        count(DISTINCT base) FILTER (WHERE judged) AS bases,
        count(*) FILTER (WHERE names_under_base > ${max_names_per_base}) AS common_base_queries,
        count(*) FILTER (WHERE names_under_base <= ${max_names_per_base} AND name_len < ${short_name}) AS short_queries,
        avg(name_len) FILTER (WHERE judged) AS avg_len,
        max(name_len) FILTER (WHERE judged) AS max_len,
        avg(name_entropy) FILTER (WHERE judged) AS avg_entropy,
        avg(CASE WHEN rcode_name IN ('NXDOMAIN', 'FORMERR') THEN 1.0 ELSE 0.0 END) FILTER (WHERE judged) AS nxdomain_share,
        sum(name_len) FILTER (WHERE judged) AS name_bytes,
        string_agg(DISTINCT qtype_name, ',' ORDER BY qtype_name) FILTER (WHERE judged) AS qtypes,
        min(ts) FILTER (WHERE judged) AS first_ts,
        max(ts) FILTER (WHERE judged) AS last_ts,
        list(DISTINCT uid) FILTER (WHERE judged) AS uids,
        list(query_frame ORDER BY query_frame) FILTER (WHERE judged AND query_frame IS NOT NULL) AS frames,
        arg_max(query, name_len) FILTER (WHERE judged) AS longest_query
    FROM j
    GROUP BY ALL
),
s AS (
    SELECT *,
        hunt_clamp((avg_len - ${short_name}) / (${long_name} - ${short_name})) AS p_length,
        hunt_clamp((avg_entropy - ${low_entropy}) / (${high_entropy} - ${low_entropy})) AS p_entropy,
        hunt_clamp(names / ${many_names}) AS p_volume
    FROM g
    WHERE names > 0
),
f AS (
    SELECT *,
        names < ${min_names} AS too_few,
        0.4 * p_length + 0.3 * p_entropy * p_length + 0.3 * p_volume AS raw_score
    FROM s
)
SELECT
    CASE WHEN too_few THEN 0 ELSE raw_score END AS score,
    json_object('length', round(p_length, 3), 'entropy', round(p_entropy, 3), 'volume', round(p_volume, 3))::VARCHAR AS score_parts,
    orig_h AS actor,
    resp_h AS target,
    first_ts, last_ts,
    CASE WHEN too_few
        THEN format('too little data to judge: {} long names ({:.0f} characters on average) from {} to resolver {} under {} base domains; {} are needed',
                    names, avg_len, orig_h, resp_h, bases, ${min_names}::INT)
        ELSE format('{} unique long names from {} to resolver {} share no base domain ({} base domains): {:.0f} characters on average (entropy {:.2f} bits/char, types {})',
                    names, orig_h, resp_h, bases, avg_len, avg_entropy, qtypes)
    END AS summary,
    json_object('queries', queries, 'unique_long_names', names, 'base_domains', bases,
                'avg_name_len', round(avg_len, 1), 'max_name_len', max_len, 'avg_entropy', round(avg_entropy, 3),
                'qtypes', qtypes, 'nxdomain_share', round(nxdomain_share, 3), 'name_bytes', name_bytes,
                'resolver_external', NOT hunt_private(resp_h), 'short_queries', short_queries,
                'common_base_queries', common_base_queries, 'longest_query', left(longest_query, 255),
                'judged', NOT too_few)::VARCHAR AS evidence,
    uids, frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT ts, orig_h, resp_h, qtype_name, rcode_name, query, base_domain, answers FROM dns WHERE orig_h = ''{}'' AND resp_h = ''{}'' ORDER BY ts',
           orig_h, resp_h) AS dig_sql
FROM f
WHERE (too_few AND names >= ${min_names_note}) OR (NOT too_few AND raw_score >= ${min_score})
