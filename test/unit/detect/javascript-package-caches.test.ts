// Where a JavaScript runtime keeps the packages a program imports when there is no node_modules
// folder: dependencies there, as in node_modules.
//
// Deno imports npm packages (`import express from "npm:express@4"`) into its own cache, not into a
// node_modules folder unless the project asks for one: `$DENO_DIR/npm/registry.npmjs.org/<name>/
// <version>/…` (`/deno-dir` in the denoland/deno image, `~/.cache/deno` elsewhere). Captured on Deno
// 2.9.6 with DENO_DIR=/deno-dir and the app in /app (both paths as run, renamed): an express 4
// route whose zod 3 schema rejects the order, uncaught, stderr as written.
//
// Bun installs a package it cannot find on the fly (auto-install), into its cache:
// `~/.bun/install/cache/<name>@<version>@@@1/…`. Captured on Bun 1.4.5 with the cache and the script
// renamed as above: semver 7 refusing a tag, uncaught.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';

const ZOD = traceText('javascript/deno-2.9-npm-express-4-zod-3-parse-error.txt');
const recordOf = (text: string): ErrorRecord => {
  const found = detectErrors(makeEvents([text.trimEnd()]));
  expect(found).toHaveLength(1);
  return (found[0] as (typeof found)[number]).record;
};

describe('the npm packages Deno keeps in its cache', () => {
  it('are no frames of the application: its own line is where the error is said to be raised', () => {
    const record = recordOf(ZOD);
    expect(record.exceptionType).toBe('ZodError');
    // before, zod's and express's ten frames were the application's, zod's `get error` the line
    // that raised, and a dependency's frames in the fingerprint
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
      '/app/main.ts:12',
      '/app/main.ts:7',
    ]);
    expect(fingerprintParts(record)).toMatchObject({
      frameSource: 'in-app',
      frames: ['main.ts:', 'main.ts:placeOrder'],
    });
  });

  it('fingerprint as the same packages in node_modules do, wherever the cache is', () => {
    const record = recordOf(ZOD);
    const installed = recordOf(
      ZOD.replaceAll(
        /file:\/\/\/deno-dir\/npm\/registry\.npmjs\.org\/([\w-]+)\/[\d.]+\//g,
        'file:///app/node_modules/$1/',
      ),
    );
    expect(fingerprintError(installed)).toBe(fingerprintError(record));
    const home = recordOf(ZOD.replaceAll('file:///deno-dir/', 'file:///home/deno/.cache/deno/'));
    expect(fingerprintError(home)).toBe(fingerprintError(record));
  });

  it('is told by its registry host: a folder of the application named npm is still its own', () => {
    const js = (file: string) => isInApp({ language: 'javascript', file });
    expect(js('/root/.cache/deno/npm/registry.npmjs.org/pg/8.13.1/lib/client.js')).toBe(false);
    expect(js('/deno-dir/npm/npm.pkg.github.com/@acme/billing/1.2.0/index.js')).toBe(false);
    expect(js('/app/npm/publish.ts')).toBe(true);
    expect(js('/app/scripts/npm/release.ts')).toBe(true);
  });
});

describe('the packages Bun installs on the fly', () => {
  it('are no frames of the application, and their version joins no fingerprint', () => {
    const record = recordOf(traceText('javascript/bun-1.4-auto-install-semver-7-invalid-version.txt'));
    expect(record.frames.map((f) => [f.file, f.inApp])).toEqual([
      ['/app/release.ts', true],
      ['/app/release.ts', true],
      ['/root/.bun/install/cache/semver@7.8.6@@@1/classes/semver.js', false],
    ]);
    // before, `semver@7.8.6@@/classes/semver.js:new SemVer` was a key: a patch release of semver
    // made the same bug a new incident
    expect(fingerprintParts(record).frames).toEqual(['release.ts:', 'release.ts:releaseOf']);
    const js = (file: string) => isInApp({ language: 'javascript', file });
    expect(js('/home/app/.bun/install/cache/@babel/parser@7.28.5@@@1/lib/index.js')).toBe(false);
    expect(js('/app/src/mail@home.ts')).toBe(true);
  });
});
