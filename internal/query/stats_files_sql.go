package query

// The SQL of the stats sections over the files table (one row per object carried by HTTP, SMTP, FTP, IRC DCC) and
// the credentials table (one row per credential seen in clear).

// sqlFilesTypes counts the objects per MIME type detected from their content, with their bytes and how many
// were seen whole.
const sqlFilesTypes = `SELECT
  coalesce(mime_type, '(empty object)')                      AS mime_type,
  count(*)                                                   AS files,
  sum(seen_bytes)                                            AS bytes,
  count(*) FILTER (WHERE complete)                           AS complete
FROM files
GROUP BY ALL
ORDER BY files DESC, mime_type
LIMIT $top`

// sqlFilesLargest is the largest objects, with what carried them and their SHA-256.
const sqlFilesLargest = `SELECT
  seen_bytes                                                 AS bytes,
  coalesce(filename, '')                                     AS filename,
  mime_type,
  source,
  CASE direction WHEN 'orig' THEN orig_h ELSE resp_h END     AS sender,
  CASE direction WHEN 'orig' THEN resp_h ELSE orig_h END     AS receiver,
  sha256
FROM files
ORDER BY seen_bytes DESC, fuid
LIMIT $top`

// executableTypes are the MIME types (github.com/gabriel-vasile/mimetype's names) of programs and installers:
// PE, ELF, Mach-O, MSI, Java archives and classes, shell scripts.
const executableTypes = `'application/vnd.microsoft.portable-executable', 'application/x-dosexec', 'application/x-msdownload',
    'application/x-elf', 'application/x-executable', 'application/x-sharedlib', 'application/x-object',
    'application/x-mach-binary', 'application/x-msi', 'application/x-ms-installer', 'application/x-windows-installer',
    'application/java-archive', 'application/x-java-archive', 'application/x-java-applet',
    'application/x-shellscript', 'text/x-shellscript'`

// sqlFilesExecutables is the objects whose content is a program (executableTypes), largest first.
const sqlFilesExecutables = `SELECT
  mime_type,
  coalesce(filename, '')                                     AS filename,
  seen_bytes                                                 AS bytes,
  source,
  CASE direction WHEN 'orig' THEN orig_h ELSE resp_h END     AS sender,
  CASE direction WHEN 'orig' THEN resp_h ELSE orig_h END     AS receiver,
  sha256
FROM files
WHERE mime_type IN (` + executableTypes + `)
ORDER BY seen_bytes DESC, fuid
LIMIT $top`

// sqlCredentialsProtocols counts the credentials per protocol and mechanism, with how many the server accepted
// or refused, and how many users and servers: counts only, no secret.
const sqlCredentialsProtocols = `SELECT
  protocol,
  mechanism,
  count(*)                                                   AS credentials,
  count(*) FILTER (WHERE accepted)                           AS accepted,
  count(*) FILTER (WHERE NOT accepted)                       AS refused,
  count(DISTINCT username)                                   AS users,
  count(DISTINCT resp_h)                                     AS servers
FROM credentials
GROUP BY ALL
ORDER BY credentials DESC, protocol, mechanism`

// sqlCredentialsSeen lists the credentials themselves (sensitive): the report shows them behind a click, stats
// only when --only names the section.
const sqlCredentialsSeen = `SELECT
  protocol,
  mechanism,
  username,
  password,
  secret_type,
  accepted,
  orig_h                                                     AS client,
  resp_h                                                     AS server,
  resp_p                                                     AS port,
  count(*)                                                   AS times
FROM credentials
GROUP BY ALL
ORDER BY protocol, server, username, password
LIMIT $top`
