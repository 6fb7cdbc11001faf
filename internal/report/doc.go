// Package report writes pcapframe's HTML report: one self-contained file with a capture's triage — the capture
// summary, the statistics of `pcapframe stats`, interactive charts, the conversations table and a payload preview
// of the busiest conversations — that opens offline in any browser.
//
// # Data
//
// Collect computes everything with SQL through an internal/query engine, before any rendering: the sections of
// `pcapframe stats` (the same queries), the bar charts, time series and graph of package agg (every metric at
// once, so the page switches metric without a query), the conversations (stats' conversations query with a larger
// limit) and the first payload bytes of the top conversations. Large inputs therefore give a page of bounded
// size: bars are the top N plus "other", the time series has at most Options.TimelinePoints intervals, the table
// holds at most Options.MaxConversations rows, and previews are cut at Options.PreviewBytes; the page says what was
// cut.
//
// # Page
//
// Write embeds the data as JSON in a <script type="application/json"> element and the page's script and style
// sheet (assets/report.js, assets/report.css: hand-written, no library) inline. The script draws the charts as
// inline SVG with the DOM API. Hand-written code was chosen over a bundled charting library to keep the page
// small (tens of kB), auditable and free of any code that could reach the network or evaluate strings. The
// words of the charts (titles, subtitles, axis names, units) are in the data, computed by package chart/plot as
// `pcapframe plot` writes them, so a chart reads the same on the page and in an image.
//
// # Safety
//
// Everything from a capture — payloads, addresses, file names, pcapng comments and interface names — is hostile.
// In the JSON block, <, >, & and U+2028/U+2029 are written as \u escapes, so no string can close the script
// element or open a comment; invalid UTF-8 becomes U+FFFD and payload bytes are base64. The script puts text on
// the page only through textContent and createTextNode and builds elements with createElement/createElementNS,
// never innerHTML. A Content-Security-Policy meta tag forbids every network access (default-src 'none') and
// allows only the page's own script and style, by their SHA-256 hashes, and data: images.
package report
