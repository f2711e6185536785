// A multi-module build holds one class name in several modules: iluwatar/java-design-patterns has
// a `com.iluwatar.App` in money/ and in notification/ (and 160 more `App.java`). Captured from its
// money module (Java 17, built with javac -g into a jar, run with java -jar; its App changed to add
// a EUR amount to a USD one and to log the exception): java.util.logging's SEVERE with the thrown
// CannotAddTwoCurrienciesException, `at com.iluwatar.Money.addMoney(Money.java:59)` and
// `at com.iluwatar.App.main(App.java:58)`; a SEVERE line without one follows.
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../functions/core/repair/build-repair-prompt.ts';
import { mapFramesToRepo } from '../../functions/core/repair/map-frames.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { deliveries, makeEvents, traceText } from '../support/log-events.ts';

const MODULES = {
  'money/src/main/java/com/iluwatar/App.java': `package com.iluwatar;\n${'// money\n'.repeat(60)}`,
  'money/src/main/java/com/iluwatar/Money.java': `package com.iluwatar;\n${'// add\n'.repeat(60)}`,
  'notification/src/main/java/com/iluwatar/App.java': 'package com.iluwatar;\n',
  'abstract-factory/src/main/java/com/iluwatar/abstractfactory/App.java':
    'package com.iluwatar.abstractfactory;\n',
};

const thrown = () => {
  const { oneEvent } = deliveries(
    traceText('java/java17-jul-severe-thrown-multi-module-same-class-name.output'),
  );
  const record = detectErrors(makeEvents(oneEvent))
    .map((d) => d.record)
    .find((r) => r.language === 'java');
  if (!record) throw new Error('no Java record');
  return record;
};

describe("a tie between modules' same-named classes, broken by the trace's other frames", () => {
  it('places the App the trace ran in the module its Money was placed in, and shows its code', async () => {
    const record = thrown();
    expect(record.exceptionType).toBe('com.iluwatar.CannotAddTwoCurrienciesException');
    const repo = makeFakeRepo(MODULES);
    const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
    expect(mappings.map((m) => (m.kind === 'mapped' ? m.path : m.reason))).toEqual([
      'money/src/main/java/com/iluwatar/Money.java',
      'money/src/main/java/com/iluwatar/App.java',
    ]);
    const { prompt, implicatedPaths } = await buildRepairPrompt({ error: record, repo });
    expect(prompt).toContain('--- money/src/main/java/com/iluwatar/App.java (lines 18-61) ---');
    expect([...implicatedPaths]).toContain('money/src/main/java/com/iluwatar/App.java');
  });

  it('leaves a tie the other frames do not break as ambiguous', () => {
    const java = (module: string, file: string): StackFrame => ({
      file,
      line: 5,
      module,
      function: 'run',
      inApp: true,
    });
    const files = [...Object.keys(MODULES), 'common/src/main/java/com/iluwatar/Util.java'];
    const [app] = mapFramesToRepo({
      // the other frame is in a module of its own: neither App is nearer to it
      frames: [java('com.iluwatar.App', 'App.java'), java('com.iluwatar.Util', 'Util.java')],
      files,
    });
    expect(app).toMatchObject({ kind: 'unmapped', reason: 'ambiguous' });
    const [alone] = mapFramesToRepo({ frames: [java('com.iluwatar.App', 'App.java')], files });
    expect(alone).toMatchObject({ kind: 'unmapped', reason: 'ambiguous' });
  });
});
