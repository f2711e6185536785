// An Echo v4 service without its Recover middleware (echo.New() adds none): a handler's panic goes
// up to net/http, which logs it through the server's ErrorLog, Echo's `log.New(…, "echo: ", 0)`:
// `echo: http: panic serving <addr>: <value>` with no date, then the goroutine's stack. Captured
// from bxcodec/go-clean-arch (Go 1.19.8, Debian's echo 4.2.1 vendored under go.mod's v4.11.4), its
// repository's missing `return` after a failed query injected, the database down: `rows.Next()` on
// nil rows panics, and so does the deferred `rows.Close()`. Built in /go/src/github.com/bxcodec/
// go-clean-arch with -mod=vendor, with and without -trimpath. Three packages hold an `article.go`.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../../functions/core/repair/build-repair-prompt.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { makeEvents } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const BUILDS = ['vendor', 'vendor-trimpath'];
const fixture = (build: string) => `go/go119-echo-4.2-no-recover-panic-serving-${build}.txt`;

describe("net/http's recovered panic logged through Echo's `echo: ` logger", () => {
  it.each(BUILDS)('is one Go panic in both shapes, raised in the repository code: %s', (build) => {
    const { record } = readInBothShapes(fixture(build));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'go',
      'panic',
      'runtime error: invalid memory address or nil pointer dereference',
    ]);
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: expect.stringMatching(
        /(?:^|\/)github\.com\/bxcodec\/go-clean-arch\/internal\/repository\/mysql\/article\.go$/,
      ),
      line: 30,
    });
    // the vendored echo's frames are no part of the application
    expect(record.frames.filter((f) => f.file.includes('labstack/echo')).map((f) => f.inApp)).toEqual([
      false,
      false,
    ]);
  });

  it('is one incident with and without -trimpath', () => {
    const [plain, trimmed] = BUILDS.map((build) => fingerprintError(readInBothShapes(fixture(build)).record));
    expect(trimmed).toBe(plain);
  });

  it('takes only one name for a prefix without a date: other text before the words opens no trace', () => {
    const { record } = readInBothShapes(fixture('vendor'));
    const lines = record.raw.split('\n').slice(1);
    const words = (lines[0] ?? '').slice('echo: '.length);
    for (const lead of ['[cart-api] ', 'api: ']) {
      const [found] = detectErrors(makeEvents([`${lead}${words}`, ...lines.slice(1)]));
      expect(found?.record.language).toBe('go');
    }
    for (const lead of ['proxy said: ', 'upstream echo: ', '{"msg":"echo: ']) {
      expect(detectErrors(makeEvents([`${lead}${words}`, ...lines.slice(1)]))).not.toContainEqual(
        expect.objectContaining({ record: expect.objectContaining({ language: 'go' }) }),
      );
    }
  });

  it.each(BUILDS)(
    "is placed in the repository's own article.go, not another package's: %s",
    async (build) => {
      const { record } = readInBothShapes(fixture(build));
      const repo = makeFakeRepo({
        'go.mod': 'module github.com/bxcodec/go-clean-arch\n',
        'app/main.go': 'package main\n',
        'article/service.go': 'package article\n',
        'domain/article.go': 'package domain\n',
        'internal/rest/article.go': 'package rest\n',
        'internal/rest/middleware/cors.go': 'package middleware\n',
        'internal/rest/middleware/timeout.go': 'package middleware\n',
        'internal/repository/mysql/article.go': `package mysql\n${'// query\n'.repeat(40)}`,
        'vendor/github.com/labstack/echo/v4/echo.go': 'package echo\n',
      });
      const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
      const placed = mappings.flatMap((m) => (m.kind === 'mapped' ? [`${m.path}:${m.frame.line}`] : []));
      expect(placed).toEqual([
        'internal/repository/mysql/article.go:30',
        'internal/repository/mysql/article.go:37',
        'internal/repository/mysql/article.go:71',
        'article/service.go:102',
        'internal/rest/article.go:62',
        'internal/rest/middleware/timeout.go:19',
        'internal/rest/middleware/cors.go:9',
      ]);
      const { prompt } = await buildRepairPrompt({ error: record, repo });
      expect(prompt).toContain('--- internal/repository/mysql/article.go (lines 1-41) ---');
    },
  );
});
