// A bundled Node.js Lambda's frames placed in its repository (test/support/bundled-shop.ts).
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { buildRepairPrompt } from '../../functions/core/repair/build-repair-prompt.ts';
import { explainUnplacedTrace } from '../../functions/core/repair/explain-unplaced-trace.ts';
import { bundledShopEvents, SHOP_FILES } from '../support/bundled-shop.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { capturedMessages, makeEvents } from '../support/log-events.ts';
import { readInBothShapes } from '../support/one-record.ts';

function recordOf(deployment: Parameters<typeof bundledShopEvents>[0]): ErrorRecord {
  const events = bundledShopEvents(deployment);
  const [found] = detectErrors(makeEvents(events, { logGroup: '/aws/lambda/shop-checkout' }));
  expect(found?.record).toMatchObject({ exceptionType: 'TypeError', message: 'order has no lines: {}' });
  return (found as { record: ErrorRecord }).record;
}

const withoutDecoy = Object.fromEntries(
  Object.entries(SHOP_FILES).filter(([path]) => path !== 'scripts/index.js'),
);

const prompt = (record: ErrorRecord) =>
  buildRepairPrompt({ error: record, repo: makeFakeRepo(SHOP_FILES), randomFence: () => 'f' });

describe('frames of a bundled Node.js Lambda', () => {
  it("places a plain bundle's frames where the repository defines the functions they name", async () => {
    const record = recordOf('plain');
    expect(record.frames.at(-1)).toMatchObject({
      file: '/var/task/index.js',
      line: 31,
      function: 'requireLines',
    });
    const built = await prompt(record);
    expect([...built.implicatedPaths].sort()).toEqual(['src/handlers/checkout.ts', 'src/orders/pricing.ts']);
    expect(built.mappings.filter((m) => m.kind === 'mapped')).toEqual([
      expect.objectContaining({ path: 'src/orders/pricing.ts', bundledAt: 10 }),
      expect.objectContaining({ path: 'src/handlers/checkout.ts', bundledAt: 3 }),
    ]);
    // the window is at the definition, not at the bundle's line 31
    expect(built.prompt).toContain('--- src/orders/pricing.ts (lines 1-13) ---');
    expect(built.prompt).toContain('requireLines → src/orders/pricing.ts:10');
    expect(built.prompt).not.toContain('scripts/index.js');
  });

  it('leaves a minified bundle unplaced and says source maps would name the files', async () => {
    const record = recordOf('minified');
    expect(record.frames.at(-1)).toMatchObject({ file: '/var/task/index.js', line: 1, function: 'u' });
    const built = await prompt(record);
    expect(built.implicatedPaths.size).toBe(0);
    const why = explainUnplacedTrace({ error: record, mappings: built.mappings, scope: 'trace' });
    expect(why).toContain('2 point into a JavaScript bundle with no source map');
    expect(why).toContain('--enable-source-maps');
  });

  it('maps the source files a source-mapped bundle names, as any trace', async () => {
    const record = recordOf('source-maps');
    expect(record.frames.at(-1)).toMatchObject({ file: '/src/orders/pricing.ts', line: 11 });
    const built = await prompt(record);
    expect(built.mappings.filter((m) => m.kind === 'mapped')).toEqual([
      expect.objectContaining({ path: 'src/orders/pricing.ts' }),
      expect.objectContaining({ path: 'src/handlers/checkout.ts' }),
    ]);
    expect(built.mappings.some((m) => m.kind === 'mapped' && m.bundledAt !== undefined)).toBe(false);
  });

  it('keeps a basename match whose file holds the line and the function (an unbundled deployment)', async () => {
    const record = recordOf('plain');
    // the deployed file itself, committed: line 31 column 28 and line 37 column 17 are in it
    const lines = Array.from({ length: 40 }, (_, i) => `// ${i + 1}`);
    lines[29] = 'function requireLines(order) {';
    lines[30] = "  if (!order?.lines) throw new TypeError('order has no lines: ' + JSON.stringify(order));";
    lines[35] = 'async function handler(event) {';
    lines[36] = '  const lines = requireLines(event.order);';
    const index = lines.join('\n');
    const built = await buildRepairPrompt({
      error: record,
      repo: makeFakeRepo({ ...withoutDecoy, 'index.js': index }),
      randomFence: () => 'f',
    });
    expect(built.mappings.flatMap((m) => (m.kind === 'mapped' ? [[m.path, m.bundledAt]] : []))).toEqual([
      ['index.js', undefined],
      ['index.js', undefined],
    ]);
  });

  it('places nothing by a name the repository defines twice', async () => {
    const record = recordOf('plain');
    const built = await buildRepairPrompt({
      error: record,
      repo: makeFakeRepo({
        ...SHOP_FILES,
        'src/legacy/pricing.js':
          'const requireLines = (order) => order.lines;\nmodule.exports = { requireLines };\n',
      }),
      randomFence: () => 'f',
    });
    const byFunction = Object.fromEntries(
      built.mappings.map((m) => [m.frame.function, m.kind === 'mapped' ? m.path : m.reason]),
    );
    expect(byFunction).toMatchObject({ requireLines: 'bundled', handler: 'src/handlers/checkout.ts' });
  });
});

// A workspace monorepo's API (apps/api, importing the workspace package @packages/shared) bundled
// with esbuild 0.28 to apps/api/dist/ beside its source, as tsup or an `esbuild --outfile=dist/…`
// build script does, and run from /app under Node 20: the route's call to normalizeEmail, whose
// toLocaleLowerCase was given a bad locale, threw. The bundle's name ends like tsc's output of the
// entry point (`dist/index.js` ← `src/index.ts`); its frames are not that file's.
describe('a service bundled to dist/ beside its source', () => {
  const WORKSPACE = {
    'package.json': '{ "name": "@packages/monorepo", "workspaces": ["apps/api", "packages/shared"] }\n',
    'apps/api/package.json': '{ "name": "@apps/api", "type": "module", "main": "./dist/index.js" }\n',
    'apps/api/src/index.ts': "import './instrument'\nimport { main } from './server'\n\nmain()\n",
    'apps/api/src/modules/users/db.ts':
      'export const byEmail = (email: string) =>\n  find({\n    where: (t, { eq }) => eq(t.email, normalizeEmail(email))\n  })\n',
    'apps/api/src/modules/auth/db.ts':
      'export const byCode = (code: string) =>\n  find({ where: (t, { eq }) => eq(t.code, code) })\n',
    'packages/shared/package.json': '{ "name": "@packages/shared", "main": "./dist/index.js" }\n',
    'packages/shared/src/utils/normalizers.ts':
      'export function normalizeEmail(email: string): string {\n  return email.trim().toLocaleLowerCase(process.env.EMAIL_LOCALE)\n}\n',
  };
  const built = (fixture: string) =>
    buildRepairPrompt({
      error: readInBothShapes(`javascript/${fixture}`).record,
      repo: makeFakeRepo(WORKSPACE),
      randomFence: () => 'f',
    });

  it("places a whole bundle's frames by the function they name, the one esbuild renamed too", async () => {
    // `at normalizeEmail2 (/app/apps/api/dist/index.cjs:55405:27)`: esbuild renamed the function
    // (another symbol of the bundle is named normalizeEmail); before, every frame was
    // apps/api/src/index.ts "compiled", at lines past its end: no code shown, the entry point in scope
    const { mappings, implicatedPaths, prompt } = await built('node20-esbuild-0.28-workspace-bundle-cjs.txt');
    expect(mappings[1]).toMatchObject({
      kind: 'mapped',
      path: 'packages/shared/src/utils/normalizers.ts',
      bundledAt: 1,
    });
    expect([...implicatedPaths]).toEqual(['packages/shared/src/utils/normalizers.ts']);
    expect(prompt).toContain('--- packages/shared/src/utils/normalizers.ts (lines 1-3) ---');
  });

  it("finds the renamed function's definition in a bundle Lambda runs as /var/task/index.mjs", async () => {
    // the same API bundled whole as ESM (a createRequire banner), run from /var/task: before, the
    // renamed normalizeEmail2 was defined nowhere and no frame was placed
    const { mappings, implicatedPaths } = await built(
      'node20-esbuild-0.28-workspace-bundle-esm-var-task-index-mjs.txt',
    );
    expect(mappings[1]).toMatchObject({
      kind: 'mapped',
      frame: { file: '/var/task/index.mjs', function: 'normalizeEmail2' },
      path: 'packages/shared/src/utils/normalizers.ts',
    });
    expect([...implicatedPaths]).toEqual(['packages/shared/src/utils/normalizers.ts']);
  });

  it('leaves the entry point out when the bundle keeps its dependencies external', async () => {
    // the workspace package runs from its own tsc output; the bundle's frame (`Object.where`, line
    // 142 of dist/index.js) is defined three times in the repository and placed nowhere
    const { mappings, implicatedPaths } = await built(
      'node20-esbuild-0.28-workspace-bundle-esm-packages-external.txt',
    );
    expect(mappings.slice(1, 3)).toMatchObject([
      { kind: 'mapped', path: 'packages/shared/src/utils/normalizers.ts' },
      { kind: 'unmapped', frame: { file: '/app/apps/api/dist/index.js', line: 142 } },
    ]);
    expect([...implicatedPaths]).toEqual(['packages/shared/src/utils/normalizers.ts']);
  });
});

// The official NestJS 11 starter built with `nest build --webpack` (one dist/main.js, node_modules
// left external) and run as `node dist/main` from /usr/src/app: its ExceptionsHandler logged a
// TypeError thrown in AppService.getHello, called by AppController.getHello, as NestJS's
// controllers and services are written, one method name in both.
describe('a NestJS app bundled by webpack to dist/main.js', () => {
  const STARTER = {
    'package.json': '{ "name": "nest-typescript-starter", "private": true }\n',
    'nest-cli.json': '{ "sourceRoot": "src" }\n',
    'src/main.ts':
      'async function bootstrap() {\n  await (await NestFactory.create(AppModule)).listen(3000);\n}\nbootstrap();\n',
    'src/app.module.ts':
      '@Module({ controllers: [AppController], providers: [AppService] })\nexport class AppModule {}\n',
    'src/app.controller.ts':
      '@Controller()\nexport class AppController {\n  @Get()\n  getHello(): string {\n    return this.appService.getHello();\n  }\n}\n',
    'src/app.service.ts':
      "@Injectable()\nexport class AppService {\n  getHello(): string {\n    return process.env.GREETING!.toUpperCase() + ' World!';\n  }\n}\n",
    'test/app.e2e-spec.ts': "it('/ (GET)', () => request(app.getHttpServer()).get('/').expect(200));\n",
  };

  it('places each method in the file of the class its frame names', async () => {
    // before: both frames were src/main.ts "compiled" at lines 102 and 69 of a 4-line file; by the
    // method's name alone, getHello is defined twice and neither would be placed
    const { record } = readInBothShapes(
      'javascript/node20-nestjs-11.0-webpack-bundle-exceptions-handler-color.txt',
    );
    const built = await buildRepairPrompt({
      error: record,
      repo: makeFakeRepo(STARTER),
      randomFence: () => 'f',
    });
    expect(built.mappings.slice(0, 2)).toMatchObject([
      { kind: 'mapped', path: 'src/app.service.ts', bundledAt: 3 },
      { kind: 'mapped', path: 'src/app.controller.ts', bundledAt: 4 },
    ]);
    expect([...built.implicatedPaths]).toEqual(['src/app.service.ts', 'src/app.controller.ts']);
    expect(built.prompt).toContain('AppService.getHello → src/app.service.ts:3');
  });
});

describe("a Serverless Framework service bundled by serverless-esbuild at its handler's path", () => {
  // AmaniEzz/serverless-contract-management-API: handlers src/actions/index.<name>, bundled by
  // serverless-esbuild (esbuild 0.14, bundle, sourcemap, no --enable-source-maps, `.cjs`) to
  // /var/task/src/actions/index.cjs, run under a stand-in of the Lambda Node runtime (see
  // test/unit/detect/lambda-runtime-formats.test.ts). The paths are the project's, the code ours.
  const SERVICE = {
    'package.json': '{ "name": "aws-serverless-api", "type": "module" }\n',
    'serverless.yml': 'functions:\n  getContractsIds:\n    handler: src/actions/index.getContractsIds\n',
    'src/actions/index.ts': 'export { getContractsIds } from "./contract/handler";\n',
    'src/actions/auth/handler.ts': 'export const logIn = middyfy(async (event) => ok(event));\n',
    'src/actions/contract/handler.ts':
      'export const getContractsIds = middyfy(async () => {\n  const ids = await contractService.getContractsIds();\n  return ok({ ids });\n});\n',
    'src/services/index.ts': 'export const jwtService = new JWTService();\n',
    'src/services/jwt-service.ts':
      'export default class JWTService {\n  constructor() {\n    this.key = Buffer.from(process.env.JWT_KEY, "base64");\n  }\n}\n',
    'src/services/contract-service.ts':
      'export class ContractService {\n  async getContractsIds() {\n    throw new HTTPError(400, "Failed to fetch some contracts");\n  }\n}\n',
    'src/utils/error.ts': 'export default class HTTPError extends Error {}\n',
  };
  const mapped = (built: Awaited<ReturnType<typeof buildRepairPrompt>>) =>
    built.mappings.flatMap((m) => (m.kind === 'mapped' ? [m.path] : []));

  it('places the named functions of an invocation error where the repository defines them', async () => {
    // before: every frame of /var/task/src/actions/index.cjs was "not the application's" (no
    // file ends with src/actions/index.cjs), so nothing was placed and the prompt had no code
    const records = detectErrors(
      makeEvents(
        capturedMessages(
          'javascript/node20-lambda-ric-text-serverless-esbuild-0.14-cjs-bundle-invoke-error-sdk-v2-note.events.jsonl',
        ),
      ),
    ).map((d) => d.record);
    expect(records.map((r) => r.message)).toEqual(['Failed to fetch some contracts']);
    const built = await buildRepairPrompt({
      error: records[0] as ErrorRecord,
      repo: makeFakeRepo(SERVICE),
      randomFence: () => 'f',
    });
    expect(mapped(built)).toEqual(['src/utils/error.ts', 'src/services/contract-service.ts']);
    expect(built.prompt).toContain('ContractService.getContractsIds → src/services/contract-service.ts:2');
    expect(built.prompt).toContain('--- src/services/contract-service.ts');
  });

  it('places the constructor that threw while the module loaded (init phase, JSON format)', async () => {
    const [found] = detectErrors(
      makeEvents(
        capturedMessages(
          'lambda/node20-lambda-ric-json-serverless-esbuild-0.14-cjs-bundle-init-type-error.events.jsonl',
        ),
      ),
    );
    const built = await buildRepairPrompt({
      error: (found as { record: ErrorRecord }).record,
      repo: makeFakeRepo(SERVICE),
      randomFence: () => 'f',
    });
    expect(mapped(built)).toEqual(['src/services/jwt-service.ts']);
    expect(built.prompt).toContain('--- src/services/jwt-service.ts');
  });
});

describe("functions that each define `handler`, bundled by esbuild at their handler's path", () => {
  // Ekenzy-101/Serverless-TS-REST-API's src/functions/deletePost/handler.ts bundled as
  // serverless-esbuild does (esbuild 0.25 --bundle --platform=node, to
  // /var/task/src/functions/deletePost/handler.js, deployed without its source map), called with no
  // requestContext; each of its seven src/functions/<name>/handler.ts defines `const handler`.
  const names = ['auth', 'createPost', 'deletePost', 'getPost', 'getPosts', 'login', 'updatePost'];
  const FUNCTIONS = Object.fromEntries(
    names.map((name) => [
      `src/functions/${name}/handler.ts`,
      `import { middyfy } from "../../libs/lambda";\n\nconst handler = async (event) => {\n  return { statusCode: 200, body: "${name}" };\n};\n\nexport const main = middyfy(handler);\n`,
    ]),
  );

  it("places `Object.handler` in the handler.ts at the bundle's own path", async () => {
    // before: `handler` was defined seven times, so the frame stayed an unplaced bundle frame
    const [found] = detectErrors(
      makeEvents(
        capturedMessages(
          'javascript/node20-lambda-ric-text-serverless-esbuild-0.25-handler-bundle-no-source-map-invoke-error.events.jsonl',
        ),
      ),
    );
    const built = await buildRepairPrompt({
      error: (found as { record: ErrorRecord }).record,
      repo: makeFakeRepo({ ...FUNCTIONS, 'src/libs/lambda.ts': 'export const middyfy = (h) => h;\n' }),
      randomFence: () => 'f',
    });
    expect(built.mappings.flatMap((m) => (m.kind === 'mapped' ? [[m.path, m.bundledAt]] : []))).toEqual([
      ['src/functions/deletePost/handler.ts', 3],
    ]);
    expect([...built.implicatedPaths]).toEqual(['src/functions/deletePost/handler.ts']);
    expect(built.prompt).toContain('--- src/functions/deletePost/handler.ts');
  });
});
