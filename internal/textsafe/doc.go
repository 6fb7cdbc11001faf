// Package textsafe decides which characters of text from a capture (or of a file name) are unsafe to show, and
// escapes them. It is the one rule behind every place where capture text reaches a terminal, a chart, a page or
// JSON meant for one: the command line's Sanitize (info, show, the table formats of sql, flows and stats, error
// messages), chart labels, the report's page, and the JSON that info and stats print. The CSV and JSON Lines
// writers of package sink apply the same rule (strconv.IsGraphic) on their own.
//
// A character is unsafe (see [Unsafe]) when it is not graphic in the sense of strconv.IsGraphic, or is one of
// the invisible Hangul fillers that render as blank letters:
//
//   - C0 controls U+0000-U+001F (tab, CR and LF included: escaped text is one line) and DEL U+007F;
//   - C1 controls U+0080-U+009F, among them U+009B, a single-character terminal CSI;
//   - format characters (Unicode category Cf), among them the bidirectional embeddings and overrides
//     U+202A-U+202E, the isolates U+2066-U+2069, the marks U+200E, U+200F and U+061C, zero-width spaces and
//     joiners U+200B-U+200D, U+2060 and U+FEFF, the soft hyphen U+00AD and the tag characters U+E0000-U+E007F;
//   - the line and paragraph separators U+2028 and U+2029;
//   - private-use, surrogate and unassigned code points (noncharacters such as U+FFFE and U+FFFF included);
//   - the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0.
//
// [Escape] writes each byte of an unsafe character, and each byte of invalid UTF-8, as the four characters
// \xHH, the convention of pcapframe's terminal output and CSV files. [JSON] rewrites the output of
// encoding/json so that unsafe characters inside its strings are \uXXXX escapes: a JSON reader gets the same
// strings back, and a terminal shows none of them raw. [JSONVisible] is for JSON whose strings are shown as
// they are (the report's page puts them in its document): there the same characters decode to the visible
// text \xHH, as on a terminal.
package textsafe
