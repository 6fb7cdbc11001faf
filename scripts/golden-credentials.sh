#!/usr/bin/env bash
# golden-credentials.sh: regenerate testdata/golden/credentials/*.tsv with tshark (Wireshark 4.x), for the
# credentials table's tests. The files hold passwords of public test captures.
#
# One file per capture, one line per message tshark dissects, tab-separated, empty fields as "-":
#   ftp   FRAME  STREAM  COMMAND(USER or PASS)  ARGUMENT
#   ftpr  FRAME  STREAM  REPLY_CODE                            (every FTP reply)
#   smtp  FRAME  STREAM  USERNAME  PASSWORD                    (smtp.auth.username/password: base64 as sent)
#   smtpr FRAME  STREAM  REPLY_CODE
#   ntlm  FRAME  STREAM  USER  DOMAIN  HOST                    (NTLMSSP AUTHENTICATE messages)
#   pop   FRAME  STREAM  COMMAND(USER, PASS or APOP)  PARAMETER
#   popr  FRAME  STREAM  INDICATOR(+OK or -ERR)
#   imap  FRAME  STREAM  USERNAME                            (imap.request.username of a LOGIN; tshark 4.0 reads
#                                                            quoted strings and passwords wrongly, so only this)
#   imapr FRAME  STREAM  TAG  STATUS
#   http  FRAME  STREAM  USER:PASSWORD                       (http.authbasic)
#   httpr FRAME  STREAM  STATUS_CODE
#   irc   FRAME  STREAM  COMMAND(PASS or NICK)  PARAMETER
#   ircr  FRAME  STREAM  NUMERIC_REPLY
#   smtpauth FRAME STREAM  PARAMETERS_OF_AUTH               (mechanism and initial response, as sent)
#   tap   FRAME  PROTOCOL  USERNAME                            (tshark -z credentials: every credential it lists)
# synthetic.pcap is written by analyzer/credentials/synth_test.go (the protocols the corpus lacks) and lives in
# testdata/golden/credentials itself.
# The test analyzer/credentials/golden_test.go compares the credentials table with these files. Run from the
# repository root:
#   scripts/golden-credentials.sh [/path/to/captures [NAME...]]
set -euo pipefail
corpus=${1:-testdata/pcaps}
out=testdata/golden/credentials
command -v tshark >/dev/null || { echo "golden-credentials: tshark is missing (apt-get install -y tshark)" >&2; exit 2; }
mkdir -p "$out"

captures=(
  zeek__ftp_ipv4.pcap
  zeek__ftp_bruteforce.pcap
  zeek__smtp.pcap
  markofu__CounterHack_HackChallenge_Cmas2011.pcap
  markofu__HoneyNet_0110_attack-trace.pcap_.gz
  synthetic.pcap
)
if [ $# -gt 1 ]; then captures=("${@:2}"); fi

fields() { # capture, filter, fields...
  local src=$1 filter=$2; shift 2
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$src" -Y "$filter" -T fields -E separator=/t -E occurrence=f "${args[@]}" 2>/dev/null || true
}
dash() { awk -F'\t' -v OFS='\t' -v tag="$1" '{ for (i = 1; i <= NF; i++) if ($i == "") $i = "-"; print tag, $0 }'; }

for name in "${captures[@]}"; do
  src=$corpus/$name
  [ "$name" = synthetic.pcap ] && src=$out/$name
  [ -f "$src" ] || { echo "golden-credentials: missing $src" >&2; exit 2; }
  {
    fields "$src" 'ftp.request.command == "USER" || ftp.request.command == "PASS"' frame.number tcp.stream ftp.request.command ftp.request.arg | dash ftp
    fields "$src" 'ftp.response.code' frame.number tcp.stream ftp.response.code | dash ftpr
    fields "$src" 'smtp.auth.username || smtp.auth.password' frame.number tcp.stream smtp.auth.username smtp.auth.password | dash smtp
    fields "$src" 'smtp.response.code' frame.number tcp.stream smtp.response.code | dash smtpr
    fields "$src" 'ntlmssp.messagetype == 3' frame.number tcp.stream ntlmssp.auth.username ntlmssp.auth.domain ntlmssp.auth.hostname | dash ntlm
    fields "$src" 'pop.request.command == "USER" || pop.request.command == "PASS" || pop.request.command == "APOP"' frame.number tcp.stream pop.request.command pop.request.parameter | dash pop
    fields "$src" 'pop.response.indicator' frame.number tcp.stream pop.response.indicator | dash popr
    fields "$src" 'imap.request.username' frame.number tcp.stream imap.request.username | dash imap
    fields "$src" 'imap.response.status' frame.number tcp.stream imap.response_tag imap.response.status | dash imapr
    fields "$src" 'http.authbasic' frame.number tcp.stream http.authbasic | dash http
    fields "$src" 'http.response.code' frame.number tcp.stream http.response.code | dash httpr
    fields "$src" 'irc.request.command == "PASS" || irc.request.command == "NICK"' frame.number tcp.stream irc.request.command irc.request.command_parameter | dash irc
    fields "$src" 'irc.response.num_command' frame.number tcp.stream irc.response.num_command | dash ircr
    fields "$src" 'smtp.req.command == "AUTH"' frame.number tcp.stream smtp.req.parameter | dash smtpauth
    # the tap's columns are separated by two spaces or more; a long user name runs into the next column
    tshark -n -r "$src" -q -z credentials 2>/dev/null | awk -F '  +' -v OFS='\t' '$1 ~ /^[0-9]+$/ { split($3, u, " "); print "tap", $1, $2, u[1] }' || true
  } >"$out/$name.tsv"
  echo "credentials: $name: $(grep -c '^tap' "$out/$name.tsv" || true) credentials in tshark's tap, $(grep -cE '^(ftp|smtp|ntlm|pop|imap|http|irc|smtpauth)	' "$out/$name.tsv" || true) messages"
done
