/**
 * A unified diff of one file's change, for people (the dry-run patch, the demo's output).
 * Fixes are small and local: after trimming the common head and tail, the differing middle is
 * one hunk, so no general diff algorithm (and no quadratic worst case) is needed.
 */
export function unifiedDiff({
  path,
  before,
  after,
  context = 3,
}: {
  path: string;
  before: string;
  after: string;
  context?: number;
}): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const from = Math.max(0, head - context);
  const aEnd = Math.min(a.length, a.length - tail + context);
  const bEnd = Math.min(b.length, b.length - tail + context);
  const lines = [
    ...a.slice(from, head).map((l) => ` ${l}`),
    ...a.slice(head, a.length - tail).map((l) => `-${l}`),
    ...b.slice(head, b.length - tail).map((l) => `+${l}`),
    ...a.slice(a.length - tail, aEnd).map((l) => ` ${l}`),
  ];
  const aCount = aEnd - from;
  const bCount = bEnd - from;
  const range = (start: number, count: number) => `${count === 0 ? start : start + 1},${count}`;
  return [
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -${range(from, aCount)} +${range(from, bCount)} @@`,
    ...lines,
    '',
  ].join('\n');
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
