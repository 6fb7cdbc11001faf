package query

// The SQL of the stats sections over the http table (one row per request/response pair). A request is a row with
// a method; a response a row with a status code.

// sqlHTTPHosts is the Host headers of the most requests, with their clients, servers and response body bytes.
const sqlHTTPHosts = `SELECT
  coalesce(host, '(no Host header)')                         AS host,
  count(*)                                                   AS requests,
  count(DISTINCT orig_h)                                     AS clients,
  count(DISTINCT resp_h)                                     AS servers,
  sum(response_body_len)                                     AS response_bytes
FROM http
WHERE method IS NOT NULL
GROUP BY ALL
ORDER BY requests DESC, host
LIMIT $top`

// sqlHTTPUserAgents is the User-Agent headers of the most requests, with their clients and hosts.
const sqlHTTPUserAgents = `SELECT
  coalesce(user_agent, '(no User-Agent)')                    AS user_agent,
  count(*)                                                   AS requests,
  count(DISTINCT orig_h)                                     AS clients,
  count(DISTINCT host)                                       AS hosts
FROM http
WHERE method IS NOT NULL
GROUP BY ALL
ORDER BY requests DESC, user_agent
LIMIT $top`

// sqlHTTPStatus counts the final responses per status code, with the most frequent reason phrase; pairs without
// a response are "(no response)".
const sqlHTTPStatus = `SELECT
  coalesce(CAST(status_code AS VARCHAR), '(no response)')    AS status,
  mode(status_msg)                                           AS reason,
  count(*)                                                   AS responses,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS percent
FROM http
GROUP BY ALL
ORDER BY responses DESC, status`

// sqlHTTPMethods counts the requests per method; responses without a request are "(no request)".
const sqlHTTPMethods = `SELECT
  coalesce(method, '(no request)')                           AS method,
  count(*)                                                   AS requests,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS percent
FROM http
GROUP BY ALL
ORDER BY requests DESC, method`
