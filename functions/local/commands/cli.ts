import { readFileSync } from 'node:fs';
import { runDoctor } from '../doctor/doctor-command.ts';
import { createRepairPipeline } from '../pipeline/repair-pipeline.ts';
import type { CliIo } from './cli-io.ts';
import { runDetect } from './detect-command.ts';
import { runRetry } from './retry-command.ts';
import { runWatch } from './watch-command.ts';

const USAGE = `ai-ops — turns production errors into reviewed fix pull requests

Usage:
  ai-ops detect [options] < input     show what the detector sees in log text
  ai-ops watch [options] [<file>…]    follow log files; record their errors and open fix PRs
  ai-ops doctor [options]             check the settings, GitHub, Anthropic and mail; say how to fix
  ai-ops retry <incident>             repair a no_fix, failed, skipped or dismissed incident again
  ai-ops help [command]               this text, or a command's own help
  ai-ops --version                    the version of ai-ops

Run "ai-ops <command> --help" for a command's options.
`;

/** Runs one CLI invocation; resolves to the process exit code. */
export async function main(
  argv: readonly string[],
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'detect':
      return runDetect(rest, io);
    case 'doctor':
      return runDoctor(rest, io);
    case 'retry':
      return runRetry(rest, io);
    case 'watch':
      return runWatch(rest, io, { createHandler: createRepairPipeline({ stderr: io.stderr }) });
    case '--version':
    case '-V':
    case 'version':
      io.stdout.write(`ai-ops ${readVersion()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (rest[0] === 'detect') return runDetect(['--help'], io);
      if (rest[0] === 'watch') return runWatch(['--help'], io);
      if (rest[0] === 'doctor') return runDoctor(['--help'], io);
      if (rest[0] === 'retry') return runRetry(['--help'], io);
      io.stdout.write(USAGE);
      return 0;
    default:
      io.stderr.write(`ai-ops: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/**
 * The version in ai-ops' own package.json. The CLI runs from its sources, so that is the nearest
 * package.json above this file (looked up, not counted, so moving the file does not break it).
 */
export function readVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const { name, version } = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (name === 'ai-ops' && typeof version === 'string') return version;
    } catch {
      // no package.json here: look one folder up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}
