package lambdaruntime

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// prefixWriter writes whole lines to out, each prefixed with "[name] ". A function's processes each get their own
// child (own partial-line buffer) sharing one lock, so lines from concurrent processes never interleave mid-line.
type prefixWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix []byte
	buf    []byte
}

func newPrefixWriter(out io.Writer, name string) *prefixWriter {
	return &prefixWriter{mu: &sync.Mutex{}, out: out, prefix: []byte("[" + name + "] ")}
}

func (p *prefixWriter) child() *prefixWriter {
	return &prefixWriter{mu: p.mu, out: p.out, prefix: p.prefix}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	var lines []byte
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, p.prefix...)
		lines = append(lines, p.buf[:i+1]...)
		p.buf = p.buf[i+1:]
	}
	if len(lines) > 0 {
		if _, err := p.out.Write(lines); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// flush writes a trailing line without newline, once the process has exited.
func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == 0 {
		return
	}
	line := append(append(append([]byte{}, p.prefix...), p.buf...), '\n')
	p.buf = nil
	_, _ = p.out.Write(line)
}

func (p *prefixWriter) printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	_, _ = p.Write([]byte(line + "\n"))
}
