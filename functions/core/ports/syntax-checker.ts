/**
 * Asks the JavaScript engine whether source files parse, without running them. Two uses: a fix
 * whose edited file no longer parses is never pushed (it goes back to the model with the
 * parser's message), and a Lambda `Runtime.UserCodeSyntaxError`, which names no file, is placed
 * in the file of the repository that fails to parse the same way. The Node.js adapter
 * (functions/adapters/node-syntax-checker.ts) compiles in a child process and never evaluates.
 */
export interface SyntaxChecker {
  /**
   * The files that do not parse, each with the engine's message; with its line and column when
   * the engine gives them at no extra cost. Files that parse are left out.
   */
  check(files: readonly SourceFile[]): Promise<SyntaxFailure[]>;
  /** One file that does not parse, again, with the line and column of its error. */
  locate(file: SourceFile): Promise<SyntaxFailure | undefined>;
}

/** `module` for ES modules (`.mjs`, `"type": "module"`), `commonjs` for everything else Node runs. */
export type ScriptGoal = 'module' | 'commonjs';

export interface SourceFile {
  path: string;
  text: string;
  goal: ScriptGoal;
}

export interface SyntaxFailure {
  path: string;
  /** as the engine words it, e.g. `Unexpected token ';'` (the same words Node's runtime logs) */
  message: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  column?: number;
}
