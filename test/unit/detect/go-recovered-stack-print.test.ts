// A recovered panic whose stack the program prints itself with runtime/debug.Stack():
// gorilla/handlers' RecoveryHandler with PrintRecoveryStack(true) logs the value with log.Println,
// then the stack the same way (`2026/12/08 02:05:07 goroutine 19 [running]:`), its first frames
// debug.Stack and its own recover. Captured on Go 1.19.8 with Debian's gorilla/handlers 1.5.1 and
// mux 1.8.0, vendored, in a small service of ours at /srv/pricing (module github.com/acme/pricing:
// a nil map in internal/api/handler.go; internal/admin holds a handler.go too), built with and
// without -trimpath. Before, neither made any record.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../../functions/core/repair/build-repair-prompt.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const BUILDS = ['vendor', 'vendor-trimpath'];
const fixture = (build: string) => `go/go119-gorilla-handlers-1.5-recovery-print-stack-${build}.txt`;

describe("a recovered panic's stack printed with runtime/debug.Stack()", () => {
  it.each(BUILDS)('is one Go panic in both shapes, its value the line before: %s', (build) => {
    const { record } = readInBothShapes(fixture(build));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'go',
      'panic',
      'assignment to entry in nil map',
    ]);
    // the panicking handler is the innermost frame: debug.Stack's and the recovery's are left out
    expect(record.frames.at(-1)).toMatchObject({
      file: expect.stringMatching(
        /(?:^|\/)(?:srv\/pricing|github\.com\/acme\/pricing)\/internal\/api\/handler\.go$/,
      ),
      line: 16,
      function: 'github.com/acme/pricing/internal/api.(*Handler).SetOverride',
      inApp: true,
    });
    expect(record.frames.filter((f) => f.file.includes('gorilla/')).map((f) => f.inApp)).toEqual([
      false,
      false,
    ]);
  });

  it('is one incident with and without -trimpath', () => {
    const [plain, trimmed] = BUILDS.map((build) => fingerprintError(readInBothShapes(fixture(build)).record));
    expect(trimmed).toBe(plain);
  });

  it('reads a stack debug.PrintStack() printed bare after a logged value alike', () => {
    const lines = traceText(fixture('vendor')).replace(/\n+$/, '').split('\n');
    const bare = lines.map((line, i) => (i === 1 ? line.replace(/^\S+ \S+ /, '') : line));
    expect(bare[1]).toBe('goroutine 19 [running]:');
    const [found] = detectErrors(makeEvents([bare.join('\n')]));
    expect([found?.record.message, found?.record.frames.at(-1)?.line]).toEqual([
      'assignment to entry in nil map',
      16,
    ]);
  });

  it('makes no panic of a stack printed with no panic in it', () => {
    const lines = traceText(fixture('vendor')).replace(/\n+$/, '').split('\n');
    // debug.Stack() and its caller, as a diagnostic prints them: no `panic(…)` frame
    const diagnostic = [lines[0] ?? '', lines[1] ?? '', ...lines.slice(2, 4), ...lines.slice(10, 12)];
    expect(detectErrors(makeEvents([diagnostic.join('\n')]))).not.toContainEqual(
      expect.objectContaining({ record: expect.objectContaining({ exceptionType: 'panic' }) }),
    );
  });

  // Of the print, the default filter passes only the stack's `panic({0x…, 0x…})` frame and its
  // `runtime/panic.go` line: the frame is read around, once, and the print there is the incident.
  it.each(BUILDS)(
    'through the default filter, is the incident the stream read back holds: %s',
    async (build) => {
      const lines = traceText(fixture(build)).replace(/\n+$/, '').split('\n');
      const { delivered, jobs, reads } = await deliverThroughDefaultFilter(lines);
      expect(delivered.map((e) => e.message)).toEqual([
        expect.stringMatching(/^panic\(\{0x[0-9a-f]+, 0x[0-9a-f]+\}\)$/),
        expect.stringMatching(/runtime\/panic\.go:\d+/),
      ]);
      expect(reads).toBe(1);
      expect(jobs.map((j) => [j.error.language, j.error.exceptionType, j.error.message])).toEqual([
        ['go', 'panic', 'assignment to entry in nil map'],
      ]);
    },
  );

  it('through the default filter, a `panic(…)` line with no print around it is no incident', async () => {
    const { jobs, reads } = await deliverThroughDefaultFilter([
      'GET /pricing 200',
      'panic({0x658280, 0x707be0})',
      'GET /pricing 200',
    ]);
    expect([jobs, reads]).toEqual([[], 1]);
  });

  it.each(BUILDS)("is placed in the handler's own handler.go: %s", async (build) => {
    const { record } = readInBothShapes(fixture(build));
    const repo = makeFakeRepo({
      'go.mod': 'module github.com/acme/pricing\n',
      'cmd/pricing/main.go': 'package main\n',
      'internal/admin/handler.go': 'package admin\n',
      'internal/api/handler.go': `package api\n${'// price\n'.repeat(20)}`,
      'vendor/github.com/gorilla/mux/mux.go': 'package mux\n',
      'vendor/github.com/gorilla/handlers/recovery.go': 'package handlers\n',
    });
    const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
    expect(mappings.flatMap((m) => (m.kind === 'mapped' ? [`${m.path}:${m.frame.line}`] : []))).toEqual([
      'internal/api/handler.go:16',
    ]);
    const { prompt } = await buildRepairPrompt({ error: record, repo });
    expect(prompt).toContain('--- internal/api/handler.go (lines 1-21) ---');
  });
});
