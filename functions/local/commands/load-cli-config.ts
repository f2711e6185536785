import type { CliIo } from './cli-io.ts';
import { type LocalConfig, LocalConfigError, loadLocalConfig } from './local-config.ts';

/**
 * The settings for one `ai-ops <command>` run, from the environment and `--config <file>` (or the
 * default file in `cwd`). Invalid settings are told on stderr as `ai-ops <command>: …` (after
 * `onInvalid`, for a command's machine-readable report) and give undefined: the caller exits 2.
 */
export function loadCliConfig({
  command,
  io,
  env,
  cwd,
  configFile,
  onInvalid,
}: {
  command: string;
  io: CliIo;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  configFile: string | undefined;
  onInvalid?: (error: LocalConfigError) => void;
}): LocalConfig | undefined {
  try {
    return loadLocalConfig({ env, cwd, ...(configFile !== undefined ? { configFile } : {}) });
  } catch (error: unknown) {
    if (!(error instanceof LocalConfigError)) throw error;
    onInvalid?.(error);
    io.stderr.write(`ai-ops ${command}: ${error.message}\n`);
    return undefined;
  }
}
