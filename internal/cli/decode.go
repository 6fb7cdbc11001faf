package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/hunt/decode"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/stream"
)

// DecodeOptions are the options of `pcapframe decode`.
type DecodeOptions struct {
	Domain, Flow, Proto, Side string
	Output                    string
	Tool, Encoding, Key       string
	Direction                 string
	Cryptcat                  string
	Quiet                     bool
}

// NewCmdDecode builds `pcapframe decode`.
func NewCmdDecode(io *IO) *cobra.Command {
	o := &DecodeOptions{}
	cmd := &cobra.Command{
		Use:   "decode INPUT (--domain D [--direction up|down|both] | --flow A:P-B:Q) [-o FILE]",
		Short: "Put back together data smuggled out over DNS, or say what a flow's bytes are",
		Long: `With --domain, the queries under that base domain are put back together: in order (sequence markers when
the tool writes them, else capture order, retransmissions dropped), the domain and session/sequence labels
stripped, the encoding recognised (hex, base32 with or without padding, base32hex, base36, base58, base64,
base64url, iodine's base32/base64/base64u/base128), decoded, decompressed (gzip, zlib, deflate) and identified
(MIME type, entropy). The tool is recognised from the names' framing: the plain <seq>.<chunk>.<domain> scheme,
DNSExfiltrator (give its password with --key), dnscat2, dns2tcp (the client's side of the tunnelled stream) and
iodine (the IP packets the client sent, written as a pcap). That is the data going up, from the client; the data
coming down, from the server, is in the answers (TXT, NULL, CNAME, MX, A, AAAA records) and is put back together
too: iodine's packets, dns2tcp's server side, dnscat2's server packets, text in TXT answers. --direction says
which (default both: each is printed, and with -o FILE the upstream result goes to FILE and the downstream to
FILE.down). Data a client put in the answer section of its own queries is put back together too (up), to
FILE.answers. dnscat2 without a domain (names that begin with "dnscat.") is read with --tool dnscat2 and no
--domain.

With --flow, the bytes one side of the conversation sent (--side, default the side that sent more) are decoded
when they are base-N text, decompressed, identified, and the files inside carved by their magic bytes; bytes
with no signature and the entropy of encrypted data are said to be encrypted, with what the other
conversations between the same hosts say about a tool or a key. Such bytes are decrypted as cryptcat's
(Twofish; --cryptcat KEY, else the words of those conversations and cryptcat's default key are tried, the
key found said to be a guess).

What is found is printed; -o FILE writes the result (the file, the stream, or the pcap of iodine's packets), and
each carved file beside it as FILE.OFFSET.EXT. What cannot be decoded is said, with the best guess and why.

Exit status: 0 decoded; 1 nothing could be decoded, or the run failed; 2 usage error; 3 an input is damaged
(the result is from the packets before the damage).`,
		Example: `  pcapframe decode dns-exf.pcap --domain test.txt -o secret
  pcapframe decode iodine.pcap --domain pirate.sea -o inner.pcap   # and inner.pcap.down: the server's packets
  pcapframe decode tunnel.pcap --domain t.example --direction down -o from-server.bin
  pcapframe decode dnscat.pcap --tool dnscat2   # names dnscat.<hex>, no domain
  pcapframe decode exfil.pcap --domain evil.example --key s3cr3t -o file   # DNSExfiltrator
  pcapframe decode capture.pcap --flow 192.168.1.6:65253-192.168.1.100:7070 -o transfer.bin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDecode(cmd.Context(), io, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Domain, "domain", "", "the base `DOMAIN` whose queries carry the data")
	f.StringVar(&o.Flow, "flow", "", "the conversation `A:P-B:Q` whose bytes to decode")
	f.StringVar(&o.Proto, "proto", "", "tcp or udp, for --flow (default: either)")
	f.StringVar(&o.Side, "side", "", "client or server: the side of --flow to decode (default: the side that sent more)")
	f.StringVarP(&o.Output, "output", "o", "", "write the result to `FILE`")
	f.StringVar(&o.Tool, "tool", "", "force the DNS tool: "+strings.Join(decode.Tools, ", "))
	f.StringVar(&o.Encoding, "encoding", "", "force the encoding of the plain scheme (hex, base32, base32hex, base36, base58, base64, base64url, iodine-base32, iodine-base64, iodine-base64u, iodine-base128)")
	f.StringVar(&o.Key, "key", "", "DNSExfiltrator's RC4 password")
	f.StringVar(&o.Direction, "direction", "both", "with --domain: up (the client's data, in the names), down (the server's, in the answers) or both")
	f.StringVar(&o.Cryptcat, "cryptcat", "", "with --flow: decrypt the side's bytes as cryptcat's under `KEY` (its -k password)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	return cmd
}

func runDecode(ctx context.Context, io *IO, o *DecodeOptions, input string) error {
	// dnscat2's names without a domain begin with its "dnscat" tag
	dns := o.Domain != "" || o.Flow == "" && o.Tool == decode.ToolDNSCat2
	if dns == (o.Flow != "") {
		return usagef("give --domain D (DNS exfiltration) or --flow A:P-B:Q (a conversation's bytes)")
	}
	switch {
	case o.Direction != "both" && o.Direction != "up" && o.Direction != "down":
		return usagef("--direction %q: want up, down or both", o.Direction)
	case o.Direction != "both" && !dns:
		return usagef("--direction is for DNS (--domain)")
	}
	if o.Cryptcat != "" && o.Flow == "" {
		return usagef("--cryptcat decrypts the bytes of a --flow")
	}
	if o.Tool != "" && !contains(decode.Tools, o.Tool) {
		return usagef("--tool %q: want one of %s", o.Tool, strings.Join(decode.Tools, ", "))
	}
	if o.Encoding != "" {
		if _, err := decode.DecodeString(decode.Encoding(o.Encoding), ""); err != nil {
			return usagef("--encoding %q: unknown", o.Encoding)
		}
	}
	inputs, err := expandInputs(io, []string{input}, o.Output)
	if err != nil {
		return err
	}
	var results []*decode.Result // up (names, then answers in queries), down, or the flow's
	var suffixes []string        // what each result's -o FILE gets after FILE
	var runErr error
	if dns {
		// one pass over the inputs gives the names (up) and the answers (down), standard input too
		opts := decode.Options{Domain: o.Domain, Tool: o.Tool, Encoding: decode.Encoding(o.Encoding), Key: o.Key}
		qs, rs, err := decode.ReadDNS(ctx, inputs, io.In, o.Domain, o.Direction != "down")
		if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, decode.ErrTooLarge) || isFatalInput(err)) {
			return err
		}
		runErr = err
		if o.Direction != "down" {
			r, err := decode.Decode(qs, opts)
			if err != nil {
				return err
			}
			results, suffixes = append(results, r), append(suffixes, "")
		}
		if o.Direction != "down" && slices.ContainsFunc(rs, func(x decode.Response) bool { return x.Query }) {
			r, err := decode.DecodeQueryAnswers(rs, opts) // data in the answer section of the client's queries
			if err != nil {
				return err
			}
			results, suffixes = append(results, r), append(suffixes, ".answers")
		}
		if o.Direction != "up" {
			r, err := decode.DecodeDown(rs, opts)
			if err != nil {
				return err
			}
			results, suffixes = append(results, r), append(suffixes, ".down")
		}
		if len(results) == 1 {
			suffixes[0] = ""
		}
	} else {
		r, damaged, err := decodeFlow(ctx, io, o, inputs)
		if err != nil {
			return err
		}
		results, suffixes, runErr = append(results, r), append(suffixes, ""), damaged
	}
	decoded := false
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(io.Out)
		}
		for _, l := range strings.Split(strings.TrimSuffix(r.String(), "\n"), "\n") {
			fmt.Fprintln(io.Out, Sanitize(l))
		}
		out := o.Output
		if out != "" {
			out += suffixes[i]
		}
		if out != "" && r.Decoded {
			if err := writeDecoded(out, r); err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "written: %s\n", Sanitize(out))
		}
		decoded = decoded || r.Decoded
	}
	if runErr != nil {
		return &DamagedError{runErr}
	}
	if !decoded {
		where := o.Domain
		if where == "" && dns {
			where = "the dnscat tag"
		}
		return fmt.Errorf("nothing decoded under %s (see the notes above)", Sanitize(where))
	}
	return nil
}

// writeDecoded writes the result to path (a pcap for iodine's packets) and each carved file beside it.
func writeDecoded(path string, r *decode.Result) error {
	af, err := createAtomic(path)
	if err != nil {
		return err
	}
	defer af.abort()
	if len(r.Packets) > 0 {
		err = decode.WritePcap(af, r.Packets)
	} else {
		_, err = af.Write(r.Data)
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := af.commit(); err != nil {
		return err
	}
	for i, c := range r.Carved {
		end := int64(len(r.Data))
		if i+1 < len(r.Carved) {
			end = r.Carved[i+1].Offset
		}
		p := fmt.Sprintf("%s.%d%s", path, c.Offset, c.Extension)
		if err := os.WriteFile(p, r.Data[c.Offset:end], 0o644); err != nil {
			return fmt.Errorf("write carved file %q: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// maxContext bounds the cleartext of the other conversations between the flow's hosts kept for Hints.
const maxContext = 1 << 20

// decodeFlow follows the conversation of o.Flow, keeping the payload of the other packets between its two hosts
// as context, and decodes the bytes of one side.
func decodeFlow(ctx context.Context, io *IO, o *DecodeOptions, inputs []string) (*decode.Result, error, error) {
	switch o.Proto {
	case "", "tcp", "udp":
	default:
		return nil, nil, usagef("unknown --proto %q (tcp or udp)", o.Proto)
	}
	switch o.Side {
	case "", "client", "server":
	default:
		return nil, nil, usagef("unknown --side %q (client or server)", o.Side)
	}
	a, b, err := parseFlowArg(o.Flow)
	if err != nil {
		return nil, nil, err
	}
	var sides [2][]byte
	tooBig := false
	fo := stream.NewFollower(stream.Match{Proto: o.Proto, A: a, B: b}, stream.Options{}, func(h stream.Header) (func(*stream.Chunk) error, error) {
		return func(c *stream.Chunk) error {
			if c.Data == nil {
				return nil
			}
			if len(sides[c.Side])+len(c.Data) > decode.MaxOutput {
				tooBig = true
				return nil
			}
			sides[c.Side] = append(sides[c.Side], c.Data...)
			return nil
		}, nil
	})
	var talk []byte
	other := func(p *packet.Packet) bool {
		if !(p.Src == a.Addr() && p.Dst == b.Addr() || p.Src == b.Addr() && p.Dst == a.Addr()) {
			return false
		}
		x, y := netip.AddrPortFrom(p.Src, p.SPort), netip.AddrPortFrom(p.Dst, p.DPort)
		return !(x == a && y == b || x == b && y == a)
	}
	runErr := runPackets(ctx, io, inputs, 0, o.Quiet, func(p *packet.Packet) error {
		if other(p) && len(talk) < maxContext {
			talk = append(talk, p.Payload()...)
			talk = append(talk, '\n')
		}
		return fo.Add(p)
	})
	if runErr != nil && (errors.Is(runErr, errStopped) || errors.Is(runErr, context.Canceled) || isFatalInput(runErr)) {
		return nil, nil, runErr
	}
	found, _, err := fo.Close()
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, fmt.Errorf("no conversation %s in %s", o.Flow, Sanitize(strings.Join(inputs, ", ")))
	}
	side := stream.Client
	switch {
	case o.Side == "server", o.Side == "" && len(sides[stream.Server]) > len(sides[stream.Client]):
		side = stream.Server
	}
	r, err := decode.StreamCryptcat(sides[side], talk, o.Cryptcat, 0)
	if err != nil {
		return nil, nil, err
	}
	r.Tool = "flow " + o.Flow + " (" + map[stream.Side]string{stream.Client: "client", stream.Server: "server"}[side] + " side)"
	if tooBig {
		r.Notes = append(r.Notes, fmt.Sprintf("cut at %d bytes", decode.MaxOutput))
	}
	return r, runErr, nil
}
