// Kotlin lets a source file lie in any folder: its `package` line, not its path, names the package
// (the Kotlin convention omits the package's folders). BruceEckel/AtomicKotlinExamples holds 62
// `Task1.kt`, one per chapter folder (`Examples/ExceptionHandling/Task1.kt` declares `package
// exceptionHandlingExercise1`). Captured on Kotlin 1.3.31 (Debian's kotlinc, JDK 17): the chapter's
// files compiled into a jar with -include-runtime and run with java -cp; a bug put in each
// (ExceptionHandling's first catch names OutOfWaterException, so its CageFullException, whose
// toString drops the package, escapes; NonNullAssertions' rocket is null, so `!!` throws).
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../functions/core/contracts.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../functions/core/repair/build-repair-prompt.ts';
import { declaredPackage, mapFramesToRepo } from '../../functions/core/repair/map-frames.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { readInBothShapes } from '../support/one-record.ts';

const task = (pkg: string, lines = 3) =>
  `// Task1.kt\n// a header\npackage ${pkg}\n${'// code\n'.repeat(lines)}`;
const CHAPTERS = {
  'Examples/Abstract/Task1.kt': task('abstractClassesExercise1'),
  'Examples/ExceptionHandling/Task1.kt': task('exceptionHandlingExercise1', 80),
  'Examples/NonNullAssertions/Task1.kt': task('nonNullAssertionsExercise1', 15),
  'Examples/WhenExpressions/Task1.kt': task('whenExpressionsExercise1'),
  'Examples/AtomicTest/AtomicTest.kt': task('atomictest'),
};

describe("a tie between same-named Kotlin files, broken by each file's package line", () => {
  it("places an uncaught exception's frames in the chapter whose package the classes name", async () => {
    const { record } = readInBothShapes(
      'java/kotlin13-uncaught-custom-tostring-exception-package-not-in-path.txt',
    );
    expect([record.exceptionType, record.message]).toEqual(['HamsterCageException', 'Cage full > 3']);
    const repo = makeFakeRepo(CHAPTERS);
    const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
    expect(mappings.map((m) => (m.kind === 'mapped' ? m.path : m.reason))).toEqual(
      Array(4).fill('Examples/ExceptionHandling/Task1.kt'),
    );
    const { prompt, implicatedPaths } = await buildRepairPrompt({ error: record, repo });
    expect(prompt).toContain('--- Examples/ExceptionHandling/Task1.kt (lines 1-83) ---');
    expect([...implicatedPaths]).toEqual(['Examples/ExceptionHandling/Task1.kt']);
  });

  it("places a `!!` failure's top-level functions (Task1Kt) in their chapter", async () => {
    const { record } = readInBothShapes('java/kotlin13-uncaught-not-null-assertion-package-not-in-path.txt');
    expect(record.exceptionType).toBe('kotlin.KotlinNullPointerException');
    const mappings = await mapTraceToRepo({ error: record, repo: makeFakeRepo(CHAPTERS), pathPrefix: '' });
    expect(mappings.map((m) => (m.kind === 'mapped' ? m.path : m.reason))).toEqual(
      Array(3).fill('Examples/NonNullAssertions/Task1.kt'),
    );
  });

  it('leaves the tie when no file, or more than one, declares the package', () => {
    const frame: StackFrame = {
      file: 'Task1.kt',
      line: 5,
      module: 'other.Task1Kt',
      function: 'main',
      inApp: true,
    };
    const files = ['a/Task1.kt', 'b/Task1.kt'];
    const place = (declared: [string, string][]) =>
      mapFramesToRepo({ frames: [frame], files, declaredPackages: new Map(declared) })[0];
    expect(
      place([
        ['a/Task1.kt', 'one'],
        ['b/Task1.kt', 'two'],
      ]),
    ).toMatchObject({ reason: 'ambiguous' });
    expect(
      place([
        ['a/Task1.kt', 'other'],
        ['b/Task1.kt', 'other'],
      ]),
    ).toMatchObject({ reason: 'ambiguous' });
    // a file whose package was not read decides nothing
    expect(place([['a/Task1.kt', 'other']])).toMatchObject({ reason: 'ambiguous' });
    expect(
      place([
        ['a/Task1.kt', 'other'],
        ['b/Task1.kt', 'two'],
      ]),
    ).toMatchObject({ path: 'a/Task1.kt' });
  });

  it("reads Kotlin's and Java's package lines, past comments and file annotations", () => {
    expect(declaredPackage('// (c) x\n@file:JvmName("Orders")\npackage com.acme.orders\n')).toBe(
      'com.acme.orders',
    );
    expect(declaredPackage('/*\n * package names\n */\npackage com.acme;\nclass A {}\n')).toBe('com.acme');
    expect(declaredPackage('package `in`.acme.data\n')).toBe('in.acme.data');
    expect(declaredPackage('fun main() = println("package x")\n')).toBe('');
  });
});
