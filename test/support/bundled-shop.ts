// A small TypeScript service deployed as a bundled Node.js Lambda, as a CDK NodejsFunction does:
// its repository, and the Lambda Node runtime's uncaught-error reports of three deployments of it
// (test/fixtures/traces/javascript/node20-lambda-ric-esbuild-bundle*.events.jsonl), captured by
// bundling `src/handlers/checkout.ts` with esbuild 0.28 into /var/task/index.js and running it
// under the runtime's console patch (aws-lambda-nodejs-runtime-interface-client 3.3.0, Text
// format, Node 20.20): plain (CDK's default), minified, and with source maps (--enable-source-maps).
import { capturedMessages } from './log-events.ts';

/** The repository the bundles were built from (`esbuild src/handlers/checkout.ts --bundle`). */
export const SHOP_FILES: Record<string, string> = {
  'src/orders/pricing.ts': `export interface Line {
  price: number;
  qty?: number;
}

export function orderTotal(order: { lines: Line[] }): number {
  return order.lines.reduce((sum, line) => sum + line.price * (line.qty as number), 0);
}

export function requireLines(order: { lines?: Line[] } | undefined): Line[] {
  if (!order?.lines) throw new TypeError(\`order has no lines: \${JSON.stringify(order)}\`);
  return order.lines;
}
`,
  'src/handlers/checkout.ts': `import { orderTotal, requireLines } from '../orders/pricing';

export const handler = async (event: { order?: { lines?: { price: number }[] } }) => {
  const lines = requireLines(event.order);
  return { total: orderTotal({ lines }) };
};
`,
  'src/index.ts': "export { handler } from './handlers/checkout';\n",
  // shares the bundle's basename, holds neither its line 31 nor its functions
  'scripts/index.js': "console.log('seed');\n",
  // a test that defines a stand-in of the same name is not where the function is defined
  'test/pricing.test.ts': 'function requireLines() {\n  return [];\n}\n',
  'package.json': '{ "name": "shop" }\n',
};

/** The captured events of one deployment, as CloudWatch Logs holds them (one string per event). */
export function bundledShopEvents(deployment: 'plain' | 'minified' | 'source-maps'): string[] {
  const suffix = deployment === 'plain' ? '' : `-${deployment}`;
  return capturedMessages(`javascript/node20-lambda-ric-esbuild-bundle${suffix}.events.jsonl`);
}
