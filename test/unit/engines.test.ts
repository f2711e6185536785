import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * `npm ci` on the oldest Node the project supports must not warn EBADENGINE: every locked
 * package (dev ones too) must accept it. Node 20 once met content-type@3 (via @octokit/request)
 * and cookie@2 (via fastify's light-my-request); package.json's `overrides` pin versions that
 * accept it.
 */

interface Lock {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^[v=]/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The comparators npm packages use in `engines.node`: `>=`, `>`, `<`, `<=`, `^`, `~`, bare versions, `*`, `||`. */
function satisfies(version: Version, range: string): boolean {
  // `>= 18` is `>=18`: the operator and its version are one comparator.
  return range
    .replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1')
    .split('||')
    .some((part) =>
      part
        .trim()
        .split(/\s+/)
        .filter((c) => c !== '')
        .every((comparator) => {
          if (comparator === '*' || comparator === 'x') return true;
          const match = /^(>=|<=|>|<|\^|~|=)?\s*v?([\d.x*]+)$/.exec(comparator);
          if (!match) throw new Error(`unknown comparator ${comparator}`);
          const op = match[1] ?? '';
          const text = match[2] ?? '';
          const bound = parseVersion(text.replace(/[x*]/g, '0'));
          const parts = text.split('.').filter((p) => p !== '' && p !== 'x' && p !== '*').length;
          const c = compare(version, bound);
          switch (op) {
            case '>=':
              return c >= 0;
            case '>':
              return c > 0;
            case '<':
              return c < 0;
            case '<=':
              return c <= 0;
            case '^':
              return c >= 0 && version[0] === bound[0];
            case '~':
              return c >= 0 && version[0] === bound[0] && version[1] === bound[1];
            default:
              // a bare `20` or `20.1` is that whole major (minor) line
              return parts === 1
                ? version[0] === bound[0]
                : parts === 2
                  ? version[0] === bound[0] && version[1] === bound[1]
                  : c === 0;
          }
        }),
    );
}

describe('engines', () => {
  it('every locked package accepts the oldest Node that package.json promises', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    const lock = JSON.parse(
      readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'),
    ) as Lock;
    const oldest = parseVersion(pkg.engines.node.replace(/^>=\s*/, ''));
    // The oldest 20.x the locked tools support as a whole (vite, rolldown: ^20.19.0).
    const node20: Version = [oldest[0], 19, 0];
    const refused = Object.entries(lock.packages)
      .filter(([, meta]) => {
        const range = Array.isArray(meta.engines) ? undefined : meta.engines?.node;
        return range !== undefined && !satisfies(node20, range);
      })
      .map(([path, meta]) => `${path}@${meta.version}: node ${JSON.stringify(meta.engines)}`);
    expect(refused).toEqual([]);
  });

  it('reads the ranges npm packages use', () => {
    expect(satisfies([20, 19, 0], '>=22')).toBe(false);
    expect(satisfies([20, 19, 0], '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies([20, 18, 0], '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies([20, 19, 0], '18 || 20 || >=22')).toBe(true);
    expect(satisfies([20, 19, 0], '>= 18.0.0')).toBe(true);
    expect(satisfies([20, 19, 0], '>=14 <21')).toBe(true);
  });
});
