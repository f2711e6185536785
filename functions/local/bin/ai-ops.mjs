#!/usr/bin/env node
// The `ai-ops` command. The sources are TypeScript with no build step, so register tsx's
// loader and hand over to the CLI; `npx ai-ops …` works straight after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../commands/cli.ts');
process.exitCode = await main(process.argv.slice(2));
