// Kotlin numbers the code of an inline function past the last line of the file it is inlined into
// (the class's SMAP maps it back; a stack trace does not). BruceEckel/AtomicKotlinExamples'
// CreatingGenerics/Select.kt (16 lines) calls its own `inline fun <reified T> select()` four times;
// the lambda in it changed to `require` a name other than "Trash". Captured on Kotlin 1.3.31
// (Debian's kotlinc, JDK 17), compiled into a jar with -include-runtime and run with java -cp: the
// fourth call fails `at creatinggenerics.SelectKt.main(Select.kt:73)`.
import { describe, expect, it } from 'vitest';
import { buildRepairPrompt } from '../../functions/core/repair/build-repair-prompt.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { readInBothShapes } from '../support/one-record.ts';

const SELECT = 'Examples/CreatingGenerics/Select.kt';
const file = (lines: number) => `package creatinggenerics\n${'// code\n'.repeat(lines - 1)}`;

describe("a Kotlin frame's line past its file's end", () => {
  it('tells the model the line is an inlined function body, not a line of the file', async () => {
    const { record } = readInBothShapes(
      'java/kotlin13-uncaught-require-in-inline-function-line-past-end.txt',
    );
    expect([record.exceptionType, record.message, record.frames.at(-1)?.line]).toEqual([
      'java.lang.IllegalArgumentException',
      'no Trash',
      73,
    ]);
    const { prompt, implicatedPaths } = await buildRepairPrompt({
      error: record,
      repo: makeFakeRepo({ [SELECT]: file(16) }),
    });
    expect(prompt).toContain(
      `Kotlin numbers the body of an inline function past the last line of the file it is inlined into: ${SELECT}:73 (the file has 16 lines) ran`,
    );
    expect([...implicatedPaths]).toEqual([SELECT]);
  });

  it('says nothing of it when the line is within the file', async () => {
    const { record } = readInBothShapes(
      'java/kotlin13-uncaught-require-in-inline-function-line-past-end.txt',
    );
    const { prompt } = await buildRepairPrompt({ error: record, repo: makeFakeRepo({ [SELECT]: file(80) }) });
    expect(prompt).toContain(`--- ${SELECT} (lines 33-80) ---`);
    expect(prompt).not.toContain('Kotlin numbers');
  });
});
