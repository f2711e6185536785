import { describe, expect, it } from 'vitest';
import { traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

// A GOPATH build (GO111MODULE=off) against the Go libraries Debian packages
// (golang-github-gorilla-mux-dev) runs them from /usr/share/gocode/src/: the library's frames, not
// the application's. Captured on Go 1.19 with Debian's gorilla/mux 1.8: a handler writing to a
// nil map, its trace through mux's ServeHTTP. Before, mux.go was an in-app frame of every panic
// behind the router, in its fingerprint and a candidate for placement.
describe('Go libraries Debian packages under /usr/share/gocode', () => {
  it("are the library's frames, the application's around them in-app", () => {
    const lines = traceText('go/go119-gopath-debian-gocode-gorilla-mux-1.8-nil-map.txt')
      .trimEnd()
      .split('\n');
    const record = onlyRecordInBothShapes(lines, { linesAside: true });
    expect([record.exceptionType, record.message]).toEqual(['panic', 'assignment to entry in nil map']);
    // outermost first: main, the router, net/http's HandlerFunc, the handler that panicked
    expect(record.frames.map((f) => [f.file.replace(/^.*\/src\//, ''), f.inApp])).toEqual([
      ['github.com/acme/catalog/main.go', true],
      ['github.com/gorilla/mux/mux.go', false],
      ['net/http/server.go', false],
      ['github.com/acme/catalog/main.go', true],
    ]);
  });
});
