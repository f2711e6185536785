import { heavyDetector } from './test/bench/detector-workload.ts';
export async function run() {
  const { invoke } = heavyDetector(10_000, 20);
  for (let i = 0; i < 30; i++) await invoke();
  const s = performance.now();
  for (let i = 0; i < 600; i++) await invoke();
  console.log(((performance.now() - s) / 600).toFixed(2));
}
