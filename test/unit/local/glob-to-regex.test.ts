import { describe, expect, it } from 'vitest';
import { globToRegex, hasGlob } from '../../../functions/local/follow/glob-to-regex.ts';

describe('globToRegex', () => {
  it.each([
    ['*.log', 'app.log', true],
    ['*.log', 'app.log.1', false],
    ['*.log', '.log', true],
    ['app-?.log', 'app-1.log', true],
    ['app-?.log', 'app-12.log', false],
    ['app-[0-9].log', 'app-7.log', true],
    ['app-[!0-9].log', 'app-7.log', false],
    ['{api,worker}.log', 'worker.log', true],
    ['{api,worker}.log', 'web.log', false],
    ['app.log', 'appxlog', false],
    ['a+b(1).log', 'a+b(1).log', true],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globToRegex(glob).test(name)).toBe(expected);
  });

  it('tells a glob from a plain name', () => {
    expect([hasGlob('*.log'), hasGlob('app.log'), hasGlob('{a,b}.log'), hasGlob('a[1].log')]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });
});
