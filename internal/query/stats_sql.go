package query

// The statistics of `pcapframe stats`, one SQL query each over the packets table. $top stands for the number of
// rows to show (--top); $interval_ns for the width of a time interval in nanoseconds. Sums are cast to BIGINT
// (DuckDB sums integers into HUGEINT). `payload` is the transport payload length, as the notebook's column.

const sqlSummary = `SELECT
  count(*)                                                AS packets,
  sum(wirelen)::BIGINT                                    AS bytes,
  sum(caplen)::BIGINT                                     AS captured_bytes,
  sum(payload)::BIGINT                                    AS payload_bytes,
  min(time)                                               AS first,
  max(time)                                               AS last,
  (epoch_ns(max(time)) - epoch_ns(min(time))) / 1e9       AS duration_s,
  count(DISTINCT source)                                  AS inputs,
  count(DISTINCT src)                                     AS sources,
  count(DISTINCT dst)                                     AS destinations
FROM packets`

// sqlTopAddress is the top addresses of one direction; $addr is src or dst and $order one of packets, bytes, payload.
const sqlTopAddress = `SELECT
  $addr,
  count(*)              AS packets,
  sum(wirelen)::BIGINT  AS bytes,
  sum(payload)::BIGINT  AS payload
FROM packets
WHERE $addr IS NOT NULL
GROUP BY $addr
ORDER BY $order DESC NULLS LAST, $addr
LIMIT $top`

const sqlTalkerPeers = `WITH talker AS (      -- the source of the most packets
  SELECT src FROM packets WHERE src IS NOT NULL
  GROUP BY src ORDER BY count(*) DESC, src LIMIT 1
)
SELECT
  p.src                 AS talker,
  p.dst                 AS peer,
  count(*)              AS packets,
  sum(wirelen)::BIGINT  AS bytes,
  sum(payload)::BIGINT  AS payload,
  min(time)             AS first_seen
FROM packets p JOIN talker t ON p.src = t.src
WHERE p.dst IS NOT NULL
GROUP BY p.src, p.dst
ORDER BY packets DESC, first_seen
LIMIT $top`

const sqlTalkerPorts = `WITH talker AS (      -- the source of the most packets
  SELECT src FROM packets WHERE src IS NOT NULL
  GROUP BY src ORDER BY count(*) DESC, src LIMIT 1
)
SELECT
  p.src                 AS talker,
  proto_name(p.proto)   AS proto,
  p.dport               AS dport,
  s.service             AS service,
  count(*)              AS packets,
  sum(wirelen)::BIGINT  AS bytes,
  sum(payload)::BIGINT  AS payload,
  min(time)             AS first_seen
FROM packets p JOIN talker t ON p.src = t.src
LEFT JOIN services s ON s.port = p.dport AND s.transport = proto_name(p.proto)
WHERE p.dport IS NOT NULL
GROUP BY ALL
ORDER BY packets DESC, first_seen
LIMIT $top`

// sqlTopPort is the top ports of one side; $port is sport or dport. The packets are counted per transport and
// port first, and only those counts are named from the services table.
const sqlTopPort = `WITH ports AS (       -- packets per transport and port
  SELECT proto, $port AS port, count(*) AS packets, sum(wirelen)::BIGINT AS bytes, sum(payload)::BIGINT AS payload
  FROM packets
  WHERE $port IS NOT NULL
  GROUP BY proto, port
)
SELECT
  proto_name(p.proto)   AS proto,
  p.port                AS port,
  s.service             AS service,
  p.packets             AS packets,
  p.bytes               AS bytes,
  p.payload             AS payload
FROM ports p
LEFT JOIN services s ON s.port = p.port AND s.transport = proto_name(p.proto)
ORDER BY packets DESC, port
LIMIT $top`

const sqlServices = `WITH ports AS (       -- packets per transport and port pair
  SELECT proto, sport, dport, count(*) AS packets, sum(wirelen) AS bytes, sum(payload) AS payload
  FROM packets
  WHERE sport IS NOT NULL
  GROUP BY proto, sport, dport
)
SELECT                -- a packet's service is that of its destination port, else of its source port
  coalesce(sd.service, ss.service, 'other') AS service,
  proto_name(p.proto)                       AS proto,
  sum(packets)::BIGINT                      AS packets,
  sum(bytes)::BIGINT                        AS bytes,
  sum(payload)::BIGINT                      AS payload
FROM ports p
LEFT JOIN services sd ON sd.port = p.dport AND sd.transport = proto_name(p.proto)
LEFT JOIN services ss ON ss.port = p.sport AND ss.transport = proto_name(p.proto)
GROUP BY ALL
ORDER BY packets DESC, service
LIMIT $top`

// sqlProtocolHierarchy counts every prefix of every frame's protocol stack, as tshark -z io,phs does. Frames are
// counted per stack first, so each distinct stack is split once.
const sqlProtocolHierarchy = `WITH stacks AS (
  SELECT string_split(coalesce(nullif(protocols, ''), 'undecoded'), ':') AS stack, frames, bytes
  FROM (SELECT protocols, count(*) AS frames, sum(wirelen)::BIGINT AS bytes FROM packets GROUP BY protocols)
), prefixes AS (
  SELECT stack[1:depth] AS path, frames, bytes
  FROM stacks, range(1, len(stack) + 1) AS r(depth)
)
SELECT
  repeat('  ', len(path) - 1) || path[-1]  AS protocol,
  array_to_string(path, ':')               AS path,
  sum(frames)::BIGINT                      AS frames,
  sum(bytes)::BIGINT                       AS bytes
FROM prefixes
GROUP BY path
ORDER BY path`

// sqlConversations counts the packets of each direction of each conversation first, then folds the two
// directions together.
const sqlConversations = `WITH directed AS (    -- packets per direction of each conversation
  SELECT proto, src, sport, dst, dport, count(*) AS packets, sum(wirelen) AS bytes, sum(payload) AS payload,
         min(time) AS first, max(time) AS last
  FROM packets WHERE src IS NOT NULL
  GROUP BY ALL
), c AS (             -- endpoint a is the lower (address, port) of the two
  SELECT *, (src < dst OR (src = dst AND coalesce(sport, 0) <= coalesce(dport, 0))) AS ab
  FROM directed
)
SELECT
  proto_name(proto)                           AS proto,
  CASE WHEN ab THEN src ELSE dst END          AS a,
  CASE WHEN ab THEN sport ELSE dport END      AS port_a,
  CASE WHEN ab THEN dst ELSE src END          AS b,
  CASE WHEN ab THEN dport ELSE sport END      AS port_b,
  sum(packets)::BIGINT                        AS packets,
  sum(bytes)::BIGINT                          AS bytes,
  sum(CASE WHEN ab THEN packets ELSE 0 END)::BIGINT AS packets_a_to_b,
  sum(CASE WHEN ab THEN 0 ELSE packets END)::BIGINT AS packets_b_to_a,
  sum(payload)::BIGINT                        AS payload,
  min(first)                                  AS first,
  (epoch_ns(max(last)) - epoch_ns(min(first))) / 1e9 AS duration_s
FROM c
GROUP BY proto_name(proto), a, port_a, b, port_b
ORDER BY packets DESC, bytes DESC, a, port_a, b, port_b
LIMIT $top`

// sqlTimeline counts packets and bytes per interval from the first packet, as tshark -z io,stat does, with the
// empty intervals.
const sqlTimeline = `WITH bounds AS (
  SELECT min(epoch_ns(time)) AS t0, max(epoch_ns(time)) AS t1 FROM packets
), per AS (
  SELECT (epoch_ns(time) - t0) // $interval_ns AS bucket, count(*) AS packets, sum(wirelen)::BIGINT AS bytes
  FROM packets, bounds GROUP BY bucket
)
SELECT
  r.bucket * $interval_ns / 1e9            AS start_s,
  make_timestamp_ns(t0 + r.bucket * $interval_ns) AS start,
  coalesce(per.packets, 0)                 AS packets,
  coalesce(per.bytes, 0)                   AS bytes
FROM bounds, range(0, (t1 - t0) // $interval_ns + 1) AS r(bucket)
LEFT JOIN per ON per.bucket = r.bucket
WHERE t0 IS NOT NULL
ORDER BY r.bucket`

// sqlProtoName defines proto_name(proto): the name of a transport protocol number, as the services table names it.
const sqlProtoName = `CREATE OR REPLACE TEMP MACRO proto_name(p) AS
  CASE p WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 132 THEN 'sctp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6'
         ELSE p::VARCHAR END`

// The DNS and TLS sections read the dns and tls tables (analyzer/dns, analyzer/tls): one row per DNS transaction
// (a query and its response, a query never answered, or a response whose query was not seen), one row per TLS
// handshake. A transaction counts as a query when its query message was seen (query_frame is not null).

// sqlDNSDomains is the most queried base domains (registered domains), with their queries, unique subdomains
// (compared in lower case: DNS names are case-insensitive) and clients.
const sqlDNSDomains = `SELECT
  base_domain,
  count(*)                                                   AS transactions,
  count(*) FILTER (WHERE query_frame IS NOT NULL)            AS queries,
  count(DISTINCT lower(subdomain)) FILTER (WHERE subdomain <> '') AS subdomains,
  count(DISTINCT orig_h)                                     AS clients
FROM dns
WHERE base_domain IS NOT NULL
GROUP BY base_domain
ORDER BY transactions DESC, base_domain
LIMIT $top`

// sqlDNSSubdomains is the base domains with the most unique subdomains, with the mean Shannon entropy of their
// subdomains (bits per byte) and their longest label: many long, random-looking subdomains of one base domain are
// the mark of DNS tunnels and DGAs.
const sqlDNSSubdomains = `SELECT
  base_domain,
  count(DISTINCT lower(subdomain)) FILTER (WHERE subdomain <> '') AS subdomains,
  count(*)                                                   AS transactions,
  round(avg(subdomain_entropy) FILTER (WHERE subdomain <> ''), 2) AS mean_entropy,
  max(longest_label)                                         AS longest_label
FROM dns
WHERE base_domain IS NOT NULL
GROUP BY base_domain
HAVING subdomains > 0
ORDER BY subdomains DESC, transactions DESC, base_domain
LIMIT $top`

// sqlDNSRcodes counts the transactions per response code; those without a response are "(no response)".
const sqlDNSRcodes = `SELECT
  coalesce(rcode_name, '(no response)')                      AS rcode,
  count(*)                                                   AS transactions,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS percent
FROM dns
GROUP BY ALL
ORDER BY transactions DESC, rcode`

// sqlDNSQtypes counts the transactions per query type; those without a question are "(no question)".
const sqlDNSQtypes = `SELECT
  coalesce(qtype_name, '(no question)')                      AS qtype,
  count(*)                                                   AS transactions,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS percent
FROM dns
GROUP BY ALL
ORDER BY transactions DESC, qtype`

// sqlTLSSNI is the server names (SNI) of the most handshakes, with their clients, servers and completed
// handshakes.
const sqlTLSSNI = `SELECT
  server_name,
  count(*)                                                   AS handshakes,
  count(*) FILTER (WHERE established)                        AS established,
  count(DISTINCT orig_h)                                     AS clients,
  count(DISTINCT resp_h)                                     AS servers
FROM tls
WHERE server_name IS NOT NULL
GROUP BY server_name
ORDER BY handshakes DESC, server_name
LIMIT $top`

// sqlTLSVersions counts the handshakes per negotiated version; those whose ServerHello was not seen are
// "(no ServerHello)".
const sqlTLSVersions = `SELECT
  coalesce(version, '(no ServerHello)')                      AS version,
  count(*)                                                   AS handshakes,
  count(*) FILTER (WHERE established)                        AS established,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS percent
FROM tls
GROUP BY ALL
ORDER BY handshakes DESC, version`

// sqlTLSJA4 is the client fingerprints (JA4) of the most handshakes, with their clients and server names.
const sqlTLSJA4 = `SELECT
  ja4,
  count(*)                                                   AS handshakes,
  count(DISTINCT orig_h)                                     AS clients,
  count(DISTINCT server_name)                                AS server_names,
  min(server_name)                                           AS example_server_name
FROM tls
WHERE ja4 IS NOT NULL
GROUP BY ja4
ORDER BY handshakes DESC, ja4
LIMIT $top`
