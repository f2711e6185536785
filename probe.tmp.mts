import { readFileSync } from 'node:fs';
import { detectErrors } from './functions/core/detect/detect-errors.ts';
for (const f of process.argv.slice(2)) {
  const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string);
  const events = lines.map((message, i) => ({ id: String(i), timestamp: 1700000000000 + i, message, logGroup: '/aws/lambda/orders', logStream: 's' }));
  const found = detectErrors(events);
  console.log('==', f.split('/').pop(), found.length, 'records');
  for (const { record } of found) console.log(JSON.stringify({ type: record.exceptionType, message: record.message, lang: record.language, frames: record.frames.map((fr) => `${fr.file}:${fr.line} ${fr.function ?? ''}`).slice(-3), nframes: record.frames.length }));
}
