-- What is new in this capture compared with a known-good one (hunt --baseline CAPTURE|PARQUET).
--
-- Finds: per kind of item, the items of the capture that the baseline does not have: hosts (addresses in the
-- flows), server ports that answered (port/proto), services, base domains queried, TLS server names, JA4
-- fingerprints, HTTP user agents (when the http table exists). A baseline comparison is the classic way to cut
-- a capture down to what changed (Zeek's "known hosts/services" scripts log the first sight of each); a new item
-- is not bad in itself, so the score rises with how many are new and stays under high.
--
-- needs: capture_items, baseline_items
--
-- param base_score = 0.4     score of a kind with one new item (severity low: shown by default)
-- param many_new = 20        new items of one kind at which the score reaches base_score + 0.3
-- param max_listed = 50      new items listed in the evidence, most seen first
--
-- Score = base_score + 0.3 x min(1, new items / many_new).
--
-- Returns: actor = the kind of item, target = the first new items; evidence: how many are new, how many the
-- capture and the baseline have of that kind, the new items (most events first) with their events.
WITH kinds AS (
    SELECT kind, count(*) AS capture_items FROM capture_items GROUP BY kind
),
base AS (
    SELECT kind, count(DISTINCT value) AS baseline_items FROM baseline_items GROUP BY kind
),
n AS (
    SELECT c.*
    FROM capture_items c
    WHERE c.kind IN (SELECT kind FROM base)
      AND NOT EXISTS (SELECT 1 FROM baseline_items b WHERE b.kind = c.kind AND b.value = c.value)
),
g AS (
    SELECT kind, count(*) AS new_items, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
           list(value || ' (' || n || ')' ORDER BY n DESC, value)[1:${max_listed}] AS listed,
           list(value ORDER BY n DESC, value)[1:5] AS top
    FROM n GROUP BY kind
)
SELECT
    ${base_score} + 0.3 * hunt_clamp(new_items / ${many_new}) AS score,
    json_object('base', ${base_score}, 'many_new', round(hunt_clamp(new_items / ${many_new}), 3))::VARCHAR AS score_parts,
    'new ' || g.kind AS actor,
    left(array_to_string(top, ', '), 200) AS target,
    first_ts, last_ts,
    format('{} {}(s) not in the baseline (of {} in this capture, {} in the baseline): {}{}', new_items, replace(g.kind, '_', ' '),
           k.capture_items, coalesce(b.baseline_items, 0), left(array_to_string(top, ', '), 300), CASE WHEN new_items > 5 THEN ', ...' ELSE '' END) AS summary,
    json_object('new', new_items, 'in_capture', k.capture_items, 'in_baseline', coalesce(b.baseline_items, 0), 'new_items', listed)::VARCHAR AS evidence,
    []::VARCHAR[] AS uids, []::BIGINT[] AS frames,
    NULL AS flow, NULL AS flow_proto, NULL AS carve_side,
    format('SELECT * FROM capture_items c WHERE kind = ''{}'' AND NOT EXISTS (SELECT 1 FROM baseline_items b WHERE b.kind = c.kind AND b.value = c.value) ORDER BY n DESC', g.kind) AS dig_sql
FROM g JOIN kinds k USING (kind) LEFT JOIN base b USING (kind)
