import { runDetect } from './detect-command.ts';
import { runDoctor } from './doctor-command.ts';
import { createRepairPipeline } from './repair-pipeline.ts';
import { runRetry } from './retry-command.ts';
import { runWatch } from './watch-command.ts';

const USAGE = `ai-ops — turns production errors into reviewed fix pull requests

Usage:
  ai-ops detect [options] < input     show what the detector sees in log text
  ai-ops watch [options] [<file>…]    follow log files; record their errors and open fix PRs
  ai-ops doctor [options]             check the settings, GitHub, Anthropic and mail; say how to fix
  ai-ops retry <incident>             repair a no_fix, failed, skipped or dismissed incident again
  ai-ops help [command]               this text, or a command's own help

Run "ai-ops <command> --help" for a command's options.
`;

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

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
