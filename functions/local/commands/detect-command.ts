import { parseArgs } from 'node:util';
import { detectErrors } from '../../core/detect/detect-errors.ts';
import { fingerprintError } from '../../core/detect/fingerprint.ts';
import type { CliIo } from './cli-io.ts';
import { LogInputError, readLogInput } from './read-log-input.ts';

const HELP = `ai-ops detect — show what the detector sees

Reads log events from standard input and writes one JSON object per error record found
(language, exceptionType, message, frames (outermost first), causes, raw (redacted),
timestamp, logGroup, logStream, eventIds, fingerprint, needsContext).

Input, recognised by its shape:
  plain text        one event per line (a multi-line trace spans several events)
  JSON Lines        {"timestamp": <ms>, "message": "..."} per line; a message may contain newlines
  subscription      a whole CloudWatch Logs subscription event {"awslogs": {"data": "H4sI..."}},
                    its decoded JSON {"messageType": "DATA_MESSAGE", ...}, or the bare base64 data

Options:
  --log-group <name>    log group for text and JSON Lines input (default "stdin")
  --log-stream <name>   log stream for text and JSON Lines input (default "stdin")
  --pretty              indent the JSON output
  -h, --help            this text

Exit status: 0 when the input was read (also when no error was found), 2 when it could not be.

Example:
  python3 -c 'import json; json.loads("{")' 2>&1 | npx ai-ops detect --pretty
`;

/** `ai-ops detect`: log text on stdin, one JSON error record per line on stdout. */
export async function runDetect(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { 'log-group'?: string; 'log-stream'?: string; pretty?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'log-group': { type: 'string' },
        'log-stream': { type: 'string' },
        pretty: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error: unknown) {
    io.stderr.write(`ai-ops detect: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  let events: ReturnType<typeof readLogInput>['events'];
  try {
    const input = await readAll(io.stdin);
    ({ events } = readLogInput(input, {
      ...(values['log-group'] ? { logGroup: values['log-group'] } : {}),
      ...(values['log-stream'] ? { logStream: values['log-stream'] } : {}),
    }));
  } catch (error: unknown) {
    if (error instanceof LogInputError) {
      io.stderr.write(`ai-ops detect: cannot read the input: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  for (const { record, needsContext } of detectErrors(events)) {
    const out = { ...record, fingerprint: fingerprintError(record), needsContext };
    io.stdout.write(`${JSON.stringify(out, null, values.pretty ? 2 : undefined)}\n`);
  }
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
