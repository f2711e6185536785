// `npm run bench faults`: the full fault suite of issue #10 — every kill -9 case of a real
// `ai-ops watch` (three rounds each by default, AI_OPS_FAULT_ROUNDS), a 10,500-occurrence storm
// (AI_OPS_STORM) and the concurrent-delivery races — where `npm test` runs the fast variants.
import { spawnSync } from 'node:child_process';

export default async function faultsBench(): Promise<void> {
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      'test/faults',
      'test/e2e/concurrent-deliveries.test.ts',
      '--reporter=verbose',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      env: {
        ...process.env,
        AI_OPS_FAULTS_FULL: '1',
        AI_OPS_FAULT_ROUNDS: process.env.AI_OPS_FAULT_ROUNDS ?? '3',
        AI_OPS_STORM: process.env.AI_OPS_STORM ?? '10500',
      },
    },
  );
  const lines = run.stdout.split('\n');
  for (const line of lines) if (/✓|×|storm of|Tests|Test Files/.test(line)) console.log(line.trim());
  console.log(`| fault suite | exit ${run.status} | ${((Date.now() - started) / 1000).toFixed(0)} s |`);
  if (run.status !== 0) process.exitCode = 1;
}
