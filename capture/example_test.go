package capture_test

import (
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/pcapframe/pcapframe/capture"
)

func Example() {
	r, err := capture.Open("../testdata/pcaps/tcpdump__tcp-handshake-nano.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println(r.Format(), r.Interfaces()[0].LinkType)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // an *capture.Error: file, offset, frames read
		}
		// rec.Data is valid until the next call to Next.
		fmt.Println(rec.Frame, rec.Offset, rec.Time, rec.CapLen, rec.WireLen)
	}
	// Output:
	// pcap-nsec 113
	// 1 24 1418145369924505488 76 76
	// 2 116 1418145370052027262 76 76
	// 3 208 1418145370052115157 68 68
}

func ExampleError() {
	_, err := capture.Open("../testdata/pcaps/suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap")
	if err != nil {
		log.Fatal(err)
	}
	s, _ := capture.Summarize("../testdata/pcaps/suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap")
	var e *capture.Error
	if errors.As(s.Err, &e) {
		fmt.Println(errors.Is(e, capture.ErrCorrupt), e.Offset, e.Frame)
	}
	// Output:
	// true 5035 6
}

func ExampleExpand() {
	paths, err := capture.Expand([]string{"../testdata/pcaps/tcpdump__empty.pcap", "-"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(paths)
	// Output:
	// [../testdata/pcaps/tcpdump__empty.pcap -]
}
