import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { elixirParser } from '../../functions/core/detect/parse-trace/elixir.ts';
import { goParser } from '../../functions/core/detect/parse-trace/go.ts';
import { javaParser } from '../../functions/core/detect/parse-trace/java.ts';
import { pythonParser } from '../../functions/core/detect/parse-trace/python.ts';
import {
  composerPackageKey,
  type FrameMapping,
  mapFramesToRepo,
  raisedInRepository,
  resolveSymlinkTarget,
  stripDeployPrefix,
} from '../../functions/core/repair/map-frames.ts';
import { capturedMessages, makeEvents } from '../support/log-events.ts';

const frame = (file: string, overrides: Partial<StackFrame> = {}): StackFrame => ({
  file,
  line: 10,
  inApp: true,
  ...overrides,
});

function mapOne({
  file,
  files,
  pathPrefix,
  overrides,
}: {
  file: string;
  files: string[];
  pathPrefix?: string;
  overrides?: Partial<StackFrame>;
}): FrameMapping {
  const [mapping] = mapFramesToRepo({
    frames: [frame(file, overrides)],
    files,
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
  });
  if (!mapping) throw new Error('no mapping');
  return mapping;
}

const pathOf = (mapping: FrameMapping): string | undefined =>
  mapping.kind === 'mapped' ? mapping.path : `unmapped:${mapping.reason}`;

describe('stripDeployPrefix', () => {
  it.each([
    ['/app/src/app.py', 'src/app.py'],
    ['/var/task/handlers/orders.js', 'handlers/orders.js'],
    ['/usr/src/app/lib/cart.rb', 'lib/cart.rb'],
    ['/var/app/current/app/models/user.rb', 'app/models/user.rb'],
    ['/opt/app/main.py', 'main.py'],
    ['/srv/app/api/views.py', 'api/views.py'],
    ['/workspace/cmd/server/main.go', 'cmd/server/main.go'],
    ['webpack:///./src/components/Cart.tsx', 'src/components/Cart.tsx'],
    ['webpack:///src/components/Cart.tsx', 'src/components/Cart.tsx'],
    ['webpack://shop-web/./src/index.ts', 'src/index.ts'],
    ['webpack-internal:///./src/index.ts', 'src/index.ts'],
    // source-map-support's print of a webpack 5 source, resolved against the bundle's folder
    [
      '/var/task/src/functions/getPost/webpack:/serveless/src/functions/getPost/handler.ts',
      'serveless/src/functions/getPost/handler.ts',
    ],
    ['file:///app/dist/server.js', 'dist/server.js'],
    ['file:///C:/build/src/server.js', 'build/src/server.js'],
    ['C:\\build\\Shop\\Orders\\OrderService.cs', 'build/Shop/Orders/OrderService.cs'],
    ['D:/a/shop/shop/src/app.py', 'a/shop/shop/src/app.py'],
    ['/_/src/Shop.Api/Program.cs', 'src/Shop.Api/Program.cs'],
    ['./src/app.js', 'src/app.js'],
    ['src/app.py', 'src/app.py'],
  ])('%s → %s', (input, expected) => {
    expect(stripDeployPrefix(input)).toBe(expected);
  });
});

describe('mapFramesToRepo', () => {
  const files = [
    'src/app.py',
    'src/lib/cart.py',
    'tests/test_cart.py',
    'handlers/orders.js',
    'src/components/Cart.tsx',
    'Shop/Orders/OrderService.cs',
  ];

  it.each([
    ['/app/src/app.py', 'src/app.py'],
    ['/var/task/handlers/orders.js', 'handlers/orders.js'],
    ['/usr/src/app/src/lib/cart.py', 'src/lib/cart.py'],
    ['webpack:///./src/components/Cart.tsx', 'src/components/Cart.tsx'],
    ['C:\\agent\\_work\\1\\s\\Shop\\Orders\\OrderService.cs', 'Shop/Orders/OrderService.cs'],
    ['/home/deploy/current/src/app.py', 'src/app.py'],
  ])('maps %s to %s', (file, expected) => {
    expect(pathOf(mapOne({ file, files }))).toBe(expected);
  });

  it('maps a Java frame through its class name to the Maven source path', () => {
    const mapping = mapOne({
      file: 'OrderService.java',
      overrides: { module: 'com.example.orders.OrderService', function: 'place' },
      files: [
        'src/main/java/com/example/orders/OrderService.java',
        'src/main/java/com/example/legacy/OrderService.java',
        'README.md',
      ],
    });
    expect(pathOf(mapping)).toBe('src/main/java/com/example/orders/OrderService.java');
  });

  it('maps frames the Java parser produced (inner classes and Kotlin included)', () => {
    const parsed = javaParser.parse(
      [
        'java.lang.IllegalStateException: order 42 has no lines',
        '\tat com.example.orders.OrderService$Validator.check(OrderService.java:88)',
        '\tat com.example.orders.OrderService.place(OrderService.java:41)',
        '\tat com.example.api.OrdersController.create(OrdersController.kt:17)',
        '\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)',
      ].join('\n'),
    );
    if (!parsed) throw new Error('the Java parser did not parse the trace');
    const mappings = mapFramesToRepo({
      frames: parsed.frames,
      files: [
        'orders/src/main/java/com/example/orders/OrderService.java',
        'api/src/main/kotlin/com/example/api/OrdersController.kt',
        'legacy/src/main/java/com/example/old/OrderService.java',
      ],
    });
    expect(mappings.map(pathOf).sort()).toEqual(
      [
        'orders/src/main/java/com/example/orders/OrderService.java',
        'orders/src/main/java/com/example/orders/OrderService.java',
        'api/src/main/kotlin/com/example/api/OrdersController.kt',
        'unmapped:not_in_app',
      ].sort(),
    );
  });

  it('uses the monorepo pathPrefix to break a suffix tie', () => {
    const monorepo = ['services/api/app.py', 'services/worker/app.py'];
    expect(pathOf(mapOne({ file: '/app/app.py', files: monorepo, pathPrefix: 'services/api' }))).toBe(
      'services/api/app.py',
    );
    expect(pathOf(mapOne({ file: '/app/app.py', files: monorepo, pathPrefix: '/services/worker/' }))).toBe(
      'services/worker/app.py',
    );
  });

  it('prefers a longer suffix over the pathPrefix', () => {
    const monorepo = ['services/api/app.py', 'services/worker/jobs/app.py'];
    expect(pathOf(mapOne({ file: '/app/jobs/app.py', files: monorepo, pathPrefix: 'services/api' }))).toBe(
      'services/worker/jobs/app.py',
    );
  });

  it('reports a tie it cannot break as ambiguous instead of guessing', () => {
    const monorepo = ['services/api/app.py', 'services/worker/app.py'];
    const mapping = mapOne({ file: '/app/app.py', files: monorepo });
    expect(mapping).toMatchObject({ kind: 'unmapped', reason: 'ambiguous' });
    const outside = mapOne({ file: '/app/app.py', files: monorepo, pathPrefix: 'services/billing' });
    expect(outside).toMatchObject({ kind: 'unmapped', reason: 'ambiguous' });
  });

  it("breaks a tie between an application's file and a test tree's for the application's", () => {
    // sinatra-param: its example app deployed to /app, and its specs' own app of the same name
    const repo = ['example/app.rb', 'spec/dummy/app.rb', 'lib/sinatra/param.rb'];
    expect(pathOf(mapOne({ file: '/app/app.rb', files: repo }))).toBe('example/app.rb');
    for (const tests of ['test/app.py', 'tests/app.py', 'src/__tests__/app.py', 'testdata/app.py'])
      expect(pathOf(mapOne({ file: '/srv/app.py', files: [tests, 'worker/app.py'] }))).toBe('worker/app.py');
    // two test trees' files are still a tie; a frame that names the test tree still maps there
    expect(mapOne({ file: '/app/app.rb', files: ['spec/a/app.rb', 'test/b/app.rb'] })).toMatchObject({
      kind: 'unmapped',
      reason: 'ambiguous',
    });
    expect(pathOf(mapOne({ file: '/app/spec/dummy/app.rb', files: repo }))).toBe('spec/dummy/app.rb');
  });

  it('reports a frame that is not in-app as not_in_app, even when a file of that name exists', () => {
    const mapping = mapOne({
      file: '/usr/lib/python3.12/json/decoder.py',
      files: ['json/decoder.py'],
      overrides: { inApp: false },
    });
    expect(mapping).toMatchObject({ kind: 'unmapped', reason: 'not_in_app' });
  });

  it('reports a frame with no matching file as no_match', () => {
    expect(mapOne({ file: '/app/src/billing.py', files })).toMatchObject({
      kind: 'unmapped',
      reason: 'no_match',
    });
    expect(mapOne({ file: '<string>', files })).toMatchObject({ kind: 'unmapped', reason: 'no_match' });
  });

  it.each([
    '/go/src/github.com/acme/shop/pkg/cart/cart.go',
    '/home/runner/work/shop/shop/pkg/cart/cart.go',
    'github.com/acme/shop/pkg/cart/cart.go',
  ])('maps the Go path %s to pkg/cart/cart.go', (file) => {
    const goFiles = ['pkg/cart/cart.go', 'cmd/cart/main.go', 'internal/cart/cart_test.go'];
    expect(pathOf(mapOne({ file, files: goFiles }))).toBe('pkg/cart/cart.go');
  });

  it('maps a parsed Go panic and ignores the runtime and a committed vendor/ copy', () => {
    const parsed = goParser.parse(
      [
        'panic: runtime error: invalid memory address or nil pointer dereference',
        '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]',
        '',
        'goroutine 1 [running]:',
        'github.com/acme/shop/pkg/cart.(*Cart).Total(0x0)',
        '\t/go/src/github.com/acme/shop/pkg/cart/cart.go:42 +0x1c',
        'main.main()',
        '\t/go/src/github.com/acme/shop/main.go:12 +0x25',
      ].join('\n'),
    );
    if (!parsed) throw new Error('the Go parser did not parse the panic');
    const mappings = mapFramesToRepo({
      frames: parsed.frames,
      files: ['main.go', 'pkg/cart/cart.go', 'vendor/github.com/other/lib/pkg/cart/cart.go'],
    });
    // outermost first, as the contract orders frames
    expect(mappings.map(pathOf)).toEqual(['main.go', 'pkg/cart/cart.go']);
  });

  it("maps an Elixir umbrella app's frames under apps/<app>/, and none of Elixir's or a dependency's", () => {
    // https://github.com/blockscout/blockscout/issues/13662 (Elixir 1.17, an umbrella project);
    // the files are paths of blockscout's own tree, where the whole listing (3,455 files) maps the
    // same two frames the same way
    const parsed = elixirParser.parse(
      [
        '** (Postgrex.Error) ERROR 23505 (unique_violation) duplicate key value violates unique constraint "internal_transactions_block_hash_transaction_index_index_index"',
        '    (elixir 1.17.3) lib/enum.ex:2531: Enum."-reduce/3-lists^foldl/2-0-"/3',
        '    (explorer 9.2.2) lib/explorer/chain/import.ex:360: Explorer.Chain.Import.insert_changes_list/3',
        '    (explorer 9.2.2) lib/explorer/chain/import/runner/internal_transactions.ex:235: Explorer.Chain.Import.Runner.InternalTransactions.insert/3',
        '    (stdlib 6.2.2) timer.erl:595: :timer.tc/2',
      ].join('\n'),
    );
    if (!parsed) throw new Error('the Elixir parser did not parse the error');
    const mappings = mapFramesToRepo({
      frames: parsed.frames,
      files: [
        'apps/explorer/lib/explorer/chain/import.ex',
        'apps/explorer/lib/explorer/chain/import/runner/internal_transactions.ex',
        'apps/explorer/lib/explorer/chain/import/runner/internal_transactions.ex.orig',
        'apps/indexer/lib/indexer/fetcher/internal_transaction.ex',
        'apps/block_scout_web/lib/block_scout_web/endpoint.ex',
        'mix.exs',
      ],
    });
    // outermost first: timer.erl (stdlib), the two of the explorer app, Enum (elixir)
    expect(mappings.map(pathOf)).toEqual([
      'unmapped:not_in_app',
      'apps/explorer/lib/explorer/chain/import/runner/internal_transactions.ex',
      'apps/explorer/lib/explorer/chain/import.ex',
      'unmapped:not_in_app',
    ]);
  });

  it("never maps a dependency's frame onto an application file by its basename", () => {
    const repoFiles = ['src/app.py', 'api.py', 'lib/router/index.js'];
    const parsed = pythonParser.parse(
      [
        'Traceback (most recent call last):',
        '  File "/app/src/app.py", line 12, in handler',
        '    requests.get(url)',
        '  File "/usr/local/lib/python3.12/site-packages/requests/api.py", line 73, in get',
        '    return request("get", url, params=params, **kwargs)',
        'requests.exceptions.ConnectionError: boom',
      ].join('\n'),
    );
    if (!parsed) throw new Error('the Python parser did not parse the trace');
    expect(mapFramesToRepo({ frames: parsed.frames, files: repoFiles }).map(pathOf)).toEqual([
      'src/app.py',
      'unmapped:not_in_app',
    ]);
    // A parser slip must not send the model to the application's own api.py either.
    const slipped = mapOne({
      file: '/usr/local/lib/python3.12/site-packages/requests/api.py',
      files: repoFiles,
      overrides: { inApp: true },
    });
    expect(slipped).toMatchObject({ kind: 'unmapped', reason: 'not_in_app' });
    // node_modules/<pkg>/ names no directory of the package: without the package's name, no match.
    const nodeModules = mapOne({
      file: '/var/task/node_modules/express/lib/router/index.js',
      files: repoFiles,
    });
    expect(nodeModules).toMatchObject({ kind: 'unmapped', reason: 'not_in_app' });
  });

  describe('in-app is decided by the repository being repaired (issue #9)', () => {
    it.each([
      // a pip-installed app: site-packages/<pkg>/x.py is <pkg>/x.py of its repository
      [
        '/usr/local/lib/python3.12/site-packages/shop/token_store.py',
        ['shop/token_store.py', 'setup.py'],
        'shop/token_store.py',
      ],
      [
        '/opt/venv/lib/python3.11/site-packages/shop/api/views.py',
        ['src/shop/api/views.py', 'src/shop/views.py'],
        'src/shop/api/views.py',
      ],
      ['/usr/lib/python3/dist-packages/shop/cli.py', ['shop/cli.py'], 'shop/cli.py'],
      // a gem-installed app: gems/<gem>-<version>/lib/<gem>/x.rb is lib/<gem>/x.rb
      [
        '/usr/local/bundle/gems/shop-1.2.0/lib/shop/pricing.rb',
        ['lib/shop/pricing.rb', 'lib/pricing.rb'],
        'lib/shop/pricing.rb',
      ],
      // RubyGems' own layout, gems/<ruby version>/gems/<gem>-<version>/: the last gems/ is the gem's
      [
        '/usr/local/lib/ruby/gems/3.1.0/gems/shop-1.2.0/lib/shop/pricing.rb',
        ['lib/shop/pricing.rb'],
        'lib/shop/pricing.rb',
      ],
      // an installed library's path whole or not at all: the application's own middleware/ and
      // utils/ are no starlette's or django's, whatever they end like
      [
        '/usr/local/lib/python3.11/site-packages/starlette/middleware/errors.py',
        ['app/middleware/errors.py', 'app/main.py'],
        'unmapped:not_in_app',
      ],
      [
        '/usr/local/lib/python3.11/site-packages/django/utils/decorators.py',
        ['shop/utils/decorators.py', 'shop/views.py'],
        'unmapped:not_in_app',
      ],
      [
        '/usr/local/bundle/gems/sidekiq-7.2.0/lib/sidekiq/processor.rb',
        ['app/sidekiq/processor.rb'],
        'unmapped:not_in_app',
      ],
      // Homebrew's Cellar keeps a formula's Python package in its own site-packages
      [
        '/opt/homebrew/Cellar/shop/1.2.0/libexec/lib/python3.12/site-packages/shop/cli.py',
        ['shop/cli.py', 'tests/test_cli.py'],
        'shop/cli.py',
      ],
      // a CI build directory is only a prefix: the suffix decides
      ['/home/runner/work/shop/shop/src/shop/cli.py', ['src/shop/cli.py'], 'src/shop/cli.py'],
    ])('%s → %s', (file, files, expected) => {
      expect(pathOf(mapOne({ file, files, overrides: { inApp: false } }))).toBe(expected);
    });

    it('maps node_modules/<pkg>/ and pkg/mod/<module>@v/ frames when the repository is that package', () => {
      const files = ['lib/router/index.js', 'lib/application.js', 'pkg/cart/cart.go'];
      const ownPackages = new Map([
        ['express', ''],
        ['github.com/acme/shop', ''],
      ]);
      const [router, other, goModule] = mapFramesToRepo({
        frames: [
          frame('/var/task/node_modules/express/lib/router/index.js', { inApp: false }),
          frame('/var/task/node_modules/body-parser/lib/router/index.js', { inApp: false }),
          frame('/root/go/pkg/mod/github.com/acme/shop@v1.4.2/pkg/cart/cart.go', { inApp: false }),
        ],
        files,
        ownPackages,
      });
      expect([router, other, goModule].map((m) => m && pathOf(m))).toEqual([
        'lib/router/index.js',
        'unmapped:not_in_app',
        'pkg/cart/cart.go',
      ]);
    });

    it("needs all of a Debian-packaged PHP library's path below /usr/share/php/", () => {
      // Laravel's middleware and the application's subclass of it: three segments alike
      const file = '/usr/share/php/Illuminate/Foundation/Http/Middleware/VerifyCsrfToken.php';
      const overrides = { inApp: false };
      expect(pathOf(mapOne({ file, files: ['app/Http/Middleware/VerifyCsrfToken.php'], overrides }))).toBe(
        'unmapped:not_in_app',
      );
      expect(
        pathOf(
          mapOne({
            file,
            files: ['src/Illuminate/Foundation/Http/Middleware/VerifyCsrfToken.php'],
            overrides,
          }),
        ),
      ).toBe('src/Illuminate/Foundation/Http/Middleware/VerifyCsrfToken.php');
    });

    it("maps composer's vendor/<vendor>/<name>/ frames only when the repository is that package", () => {
      // Slim-Skeleton's trace (Slim 4.12 installed by composer under /var/www/vendor) placed in
      // slimphp/Slim: Slim/App.php ends like two segments of the frame, Slim/Routing/Route.php three
      const files = ['Slim/App.php', 'Slim/Routing/Route.php', 'tests/AppTest.php', 'composer.json'];
      const frames = [
        frame('/var/www/vendor/slim/slim/Slim/Routing/Route.php', { inApp: false }),
        frame('/var/www/vendor/slim/slim/Slim/App.php', { inApp: false }),
        frame('/var/www/vendor/slim/psr7/src/Routing/Route.php', { inApp: false }),
      ];
      const placed = (ownPackages: Map<string, string>) =>
        mapFramesToRepo({ frames, files, ownPackages }).map((m) => pathOf(m));
      expect(placed(new Map([[composerPackageKey('slim/slim'), '']]))).toEqual([
        'Slim/Routing/Route.php',
        'Slim/App.php',
        'unmapped:not_in_app',
      ]);
      // an application's repository: however much of the path one of its files ends like
      expect(placed(new Map([[composerPackageKey('slim/slim-skeleton'), '']]))).toEqual([
        'unmapped:not_in_app',
        'unmapped:not_in_app',
        'unmapped:not_in_app',
      ]);
      // a package of a monorepo, declared in packages/http/composer.json
      expect(
        mapFramesToRepo({
          frames: [frame('/app/vendor/acme/http/src/Client.php', { inApp: false })],
          files: ['packages/http/src/Client.php', 'src/Client.php'],
          ownPackages: new Map([[composerPackageKey('acme/http'), 'packages/http']]),
        }).map((m) => pathOf(m)),
      ).toEqual(['packages/http/src/Client.php']);
    });

    it("maps Cargo's copies of a crate only when the repository declares that crate", () => {
      // A crate names no folder of its own below src/: once_cell's src/lib.rs ends like every
      // application's, and a panic inside it was placed in the application's src/lib.rs.
      const files = [
        'Cargo.toml',
        'src/main.rs',
        'src/lib.rs',
        'crates/pricing/Cargo.toml',
        'crates/pricing/src/lib.rs',
      ];
      const registry = '/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f';
      const frames = [
        frame(`${registry}/once_cell-1.21.3/src/lib.rs`, { inApp: false }),
        frame('/root/.cargo/git/checkouts/pricing-e2e0d2fdaef91888/e9bd7d3/src/lib.rs', { inApp: false }),
        frame(`${registry}/pricing-0.3.1/src/lib.rs`, { inApp: false }),
        frame('/root/.cargo/git/checkouts/shop-3f2a0c9d8e7b6a51/4c1d2e3/crates/pricing/src/lib.rs', {
          inApp: false,
        }),
        frame('/root/.cargo/registry/cache/oddity/src/lib.rs', { inApp: false }),
      ];
      const placed = (ownPackages: Map<string, string>) =>
        mapFramesToRepo({ frames, files, ownPackages }).map((m) => pathOf(m));
      expect(placed(new Map([['cargo:shop', '']]))).toEqual([
        'unmapped:not_in_app',
        'unmapped:not_in_app',
        'unmapped:not_in_app',
        // a git checkout is the repository's own root: this repository, checked out as a dependency
        'crates/pricing/src/lib.rs',
        'unmapped:not_in_app',
      ]);
      expect(
        placed(
          new Map([
            ['cargo:shop', ''],
            ['cargo:pricing', 'crates/pricing'],
            ['cargo:once-cell', ''],
          ]),
        ),
      ).toEqual([
        // Cargo reads `-` and `_` in a crate's name alike
        'src/lib.rs',
        // a checkout named after a crate this repository keeps in crates/pricing, whose src/lib.rs
        // is the checkout's root crate: another repository
        'unmapped:not_in_app',
        'crates/pricing/src/lib.rs',
        'crates/pricing/src/lib.rs',
        'unmapped:not_in_app',
      ]);
      // the repository is the pricing crate's own: its checkout is read from the root
      expect(placed(new Map([['cargo:pricing', '']]))[1]).toBe('src/lib.rs');
    });

    it.each([
      ['the official Rust images (CARGO_HOME=/usr/local/cargo)', '/usr/local/cargo'],
      ['any other Cargo home, by its index folder', '/opt/build/cargo-home'],
    ])("reads Cargo's copies under %s as it does under ~/.cargo", (_home, home) => {
      const files = ['Cargo.toml', 'src/lib.rs', 'crates/pricing/Cargo.toml', 'crates/pricing/src/lib.rs'];
      const registry = `${home}/registry/src/index.crates.io-1949cf8c6b5b557f`;
      const frames = [
        frame(`${registry}/once_cell-1.21.3/src/lib.rs`, { inApp: false }),
        frame(`${registry}/pricing-0.3.1/src/lib.rs`, { inApp: false }),
        frame(`${home}/git/checkouts/shop-3f2a0c9d8e7b6a51/4c1d2e3/crates/pricing/src/lib.rs`, {
          inApp: false,
        }),
      ];
      const ownPackages = new Map([
        ['cargo:shop', ''],
        ['cargo:pricing', 'crates/pricing'],
      ]);
      expect(mapFramesToRepo({ frames, files, ownPackages }).map((m) => pathOf(m))).toEqual([
        'unmapped:not_in_app',
        'crates/pricing/src/lib.rs',
        'crates/pricing/src/lib.rs',
      ]);
    });

    it.each<[string, string[], string]>([
      // tsc's outDir beside rootDir, one module format per directory, and a monorepo package's realpath
      [
        '/app/dist/orders/service.js',
        ['src/orders/service.ts', 'scripts/service.js'],
        'src/orders/service.ts',
      ],
      ['/app/dist/cjs/orders/service.js', ['src/orders/service.ts'], 'src/orders/service.ts'],
      ['/app/build/esm/cart.mjs', ['src/cart.mts'], 'src/cart.mts'],
      [
        '/app/packages/shared/dist/money.js',
        ['packages/shared/src/money.ts', 'packages/web/src/money.ts'],
        'packages/shared/src/money.ts',
      ],
      // tsc's rootDir the project's root (a file outside src/ compiled too): the tree mirrored
      ['/usr/src/app/dist/src/app.service.js', ['src/app.service.ts', 'ormconfig.ts'], 'src/app.service.ts'],
      ['/app/dist/scripts/migrate.js', ['scripts/migrate.ts', 'src/migrate.ts'], 'scripts/migrate.ts'],
      ['/app/dist/src/app.js', ['src/app.ts', 'src/src/app.ts'], 'src/src/app.ts'],
      ['/app/dist/index.js', ['index.ts'], 'unmapped:no_match'],
      // Babel keeps the name: lib/x.js from src/x.js
      ['/srv/lib/feed/parse.js', ['src/feed/parse.js'], 'src/feed/parse.js'],
      // nothing below the build directory matches: no source is guessed
      ['/app/dist/index.js', ['packages/a/src/index.ts', 'packages/b/src/index.ts'], 'unmapped:no_match'],
      ['/app/dist/orders/service.js', ['src/billing/service.ts'], 'unmapped:no_match'],
      // the compiled file itself is in the repository: it is the file
      [
        '/app/dist/orders/service.js',
        ['dist/orders/service.js', 'src/orders/service.ts'],
        'dist/orders/service.js',
      ],
    ])('compiled output %s → its source (%j) %s', (file, files, expected) => {
      expect(pathOf(mapOne({ file, files }))).toBe(expected);
    });

    it.each<[string, string[], string]>([
      // Next.js 14 `next start` (real capture): a route handler's minified build → its source
      [
        '/srv/next/.next/server/app/api/orders/[id]/route.js',
        ['app/api/orders/[id]/route.ts', 'lib/pricing.ts', 'app/page.tsx'],
        'app/api/orders/[id]/route.ts',
      ],
      [
        '/srv/next/.next/server/app/api/orders/[id]/route.js',
        ['src/app/api/orders/[id]/route.ts'],
        'src/app/api/orders/[id]/route.ts',
      ],
      // a JavaScript project's source ends like the build: still the source, its line the build's
      [
        '/srv/next/.next/server/app/api/orders/[id]/route.js',
        ['app/api/orders/[id]/route.js'],
        'app/api/orders/[id]/route.js',
      ],
      // the Pages Router on Lambda, `output: 'standalone'` in a monorepo
      [
        '/var/task/.next/server/pages/api/orders/[id].js',
        ['pages/api/orders/[id].tsx'],
        'pages/api/orders/[id].tsx',
      ],
      [
        '/app/.next/standalone/apps/web/.next/server/app/checkout/page.js',
        ['apps/web/app/checkout/page.tsx', 'apps/admin/app/settings/page.tsx'],
        'apps/web/app/checkout/page.tsx',
      ],
    ])('a Next.js build %s → its source (%j) %s', (file, files, expected) => {
      const mapping = mapOne({ file, files });
      expect(pathOf(mapping)).toBe(expected);
      expect(mapping.kind === 'mapped' && mapping.compiledFrom?.includes('.next/server/')).toBe(true);
    });

    it("leaves a Next.js build's shared chunk, which names no route, to the other rules", () => {
      expect(pathOf(mapOne({ file: '/srv/next/.next/server/chunks/682.js', files: ['app/page.tsx'] }))).toBe(
        'unmapped:no_match',
      );
      // a route of another name is not guessed
      const other = mapOne({
        file: '/srv/next/.next/server/app/api/cart/route.js',
        files: ['app/api/orders/route.ts'],
      });
      expect(pathOf(other)).toBe('unmapped:no_match');
    });

    it("maps a Go module cache frame from another major version, and with the cache's escaped capitals", () => {
      // gofiber/fiber#2757: a v2 panic (…/fiber/v2@v2.51.0/ctx.go) against the repository, whose go.mod
      // now says /v3; the module cache writes github.com/BurntSushi as github.com/!burnt!sushi
      const files = ['ctx.go', 'decode.go', 'internal/ctx.go'];
      const ownPackages = new Map([
        ['github.com/gofiber/fiber/v3', ''],
        ['github.com/BurntSushi/toml', ''],
      ]);
      const mapped = mapFramesToRepo({
        frames: [
          frame('/root/go/pkg/mod/github.com/gofiber/fiber/v2@v2.51.0/ctx.go', { inApp: false }),
          frame('/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/decode.go', { inApp: false }),
          frame('/root/go/pkg/mod/github.com/gofiber/fiberx@v1.0.0/ctx.go', { inApp: false }),
        ],
        files,
        ownPackages,
      });
      expect(mapped.map(pathOf)).toEqual(['ctx.go', 'decode.go', 'unmapped:not_in_app']);
    });

    it('prefers the longest suffix to a basename match, and refuses a basename-only match for a dependency', () => {
      const files = ['views.py', 'shop/api/views.py'];
      expect(pathOf(mapOne({ file: '/srv/site-packages/shop/api/views.py', files }))).toBe(
        'shop/api/views.py',
      );
      expect(pathOf(mapOne({ file: '/srv/site-packages/other/views.py', files }))).toBe(
        'unmapped:not_in_app',
      );
    });

    it('keeps runtime frames out unless a long suffix says the repository is the runtime', () => {
      const stdlib = mapOne({
        file: '/usr/lib/python3.12/json/decoder.py',
        files: ['json/decoder.py'],
        overrides: { inApp: false },
      });
      expect(stdlib).toMatchObject({ kind: 'unmapped', reason: 'not_in_app' });
    });

    it('follows a symlinked entry point to the file it links to', () => {
      const symlinks = new Map([['bin/shop', 'shop/cli.py']]);
      const mapping = mapOne({ file: '/usr/local/bin/shop', files: ['shop/cli.py'], overrides: {} });
      expect(mapping).toMatchObject({ kind: 'unmapped', reason: 'no_match' });
      const [followed] = mapFramesToRepo({
        frames: [frame('/usr/local/bin/shop')],
        files: ['shop/cli.py'],
        symlinks,
      });
      expect(followed && pathOf(followed)).toBe('shop/cli.py');
      expect(resolveSymlinkTarget('bin/shop', '../shop/cli.py')).toBe('shop/cli.py');
      expect(resolveSymlinkTarget('bin/shop', '../../etc/passwd')).toBeUndefined();
      expect(resolveSymlinkTarget('bin/shop', '/etc/passwd')).toBeUndefined();
    });
  });

  it('keeps the frames in order and says which could not be mapped', () => {
    const frames = [
      frame('/app/src/app.py'),
      frame('/app/src/gone.py'),
      frame('/usr/lib/x.py', { inApp: false }),
    ];
    const mappings = mapFramesToRepo({ frames, files });
    expect(mappings.map((m) => m.frame)).toEqual(frames);
    expect(mappings.map(pathOf)).toEqual(['src/app.py', 'unmapped:no_match', 'unmapped:not_in_app']);
  });
});

describe('raisedInRepository', () => {
  const files = ['src/shop/refunds.py', 'src/shop/worker.py', 'src/orders/service.ts'];
  const site = '/opt/venv/lib/python3.11/site-packages';
  it('names the innermost frame the repository holds, by its path there, when no frame is in-app', () => {
    const frames = [
      frame(`${site}/shop/worker.py`, { line: 22, function: 'run', inApp: false }),
      frame(`${site}/shop/refunds.py`, { line: 11, function: 'refund', inApp: false }),
      frame('/usr/lib/python3/dist-packages/sqlalchemy/engine/default.py', { line: 736, inApp: false }),
    ];
    const mappings = mapFramesToRepo({ frames: [...frames].reverse(), files });
    expect(raisedInRepository(frames, mappings)).toEqual({
      function: 'refund',
      file: 'src/shop/refunds.py',
      line: 11,
    });
    // a report that marks its own frames is read as it is
    const marked = frames.map((f, i) => (i === 0 ? { ...f, inApp: true } : f));
    expect(raisedInRepository(marked, mappings)).toBeUndefined();
    expect(raisedInRepository(frames, [])).toBeUndefined();
  });

  it("gives no line that is a compiled file's", () => {
    const frames = [frame('/app/dist/orders/service.js', { line: 40, function: 'notify', inApp: false })];
    const mappings = mapFramesToRepo({ frames, files });
    expect(mappings[0]).toMatchObject({ kind: 'mapped', path: 'src/orders/service.ts' });
    expect(raisedInRepository(frames, mappings)).toEqual({
      function: 'notify',
      file: 'src/orders/service.ts',
    });
  });
});

describe('a Lambda bundled by serverless-webpack, its stack printed by source-map-support', () => {
  // Ekenzy-101/Serverless-TS-REST-API: seven functions, each src/functions/<name>/handler.ts
  // defining `const handler` and `export const main = middyfy(handler)`, each importing
  // source-map-support/register; built by its own webpack.config.js (webpack 5.113, production,
  // devtool source-map, serverless-webpack's entries stood in) and deployed as
  // /var/task/src/functions/<name>/handler.js + .map. deletePost called with no requestContext.
  const FILES = [
    'serverless.ts',
    'src/functions/auth/handler.ts',
    'src/functions/createPost/handler.ts',
    'src/functions/deletePost/handler.ts',
    'src/functions/getPost/handler.ts',
    'src/functions/getPosts/handler.ts',
    'src/functions/login/handler.ts',
    'src/functions/register/handler.ts',
    'src/functions/updatePost/handler.ts',
    'src/dataLayer/posts.ts',
    'src/libs/lambda.ts',
  ];

  it("places the handler's frame in its own function's handler.ts", () => {
    // before: all of the path below /var/task had to match (eight segments), so the frame was
    // "not the application's" and nothing was placed
    const [found] = detectErrors(
      makeEvents(
        capturedMessages(
          'javascript/node20-lambda-ric-text-serverless-webpack-5-source-map-support-invoke-error.events.jsonl',
        ),
      ),
    );
    const frames = found?.record.frames ?? [];
    const mappings = mapFramesToRepo({ frames, files: FILES });
    expect(mappings.flatMap((m) => (m.kind === 'mapped' ? [m.path] : []))).toEqual([
      'src/functions/deletePost/handler.ts',
    ]);
    expect(mappings.at(-1)).toMatchObject({ kind: 'mapped', frame: { line: 21 } });
  });

  it.each([
    // webpack 4 writes no namespace (`webpack:///./src/…`)
    [
      '/var/task/src/functions/getPost/webpack:/src/functions/getPost/handler.ts',
      'src/functions/getPost/handler.ts',
    ],
    [
      '/var/task/src/functions/login/webpack:/serveless/src/functions/login/handler.ts',
      'src/functions/login/handler.ts',
    ],
  ])('%s → %s', (file, expected) => {
    expect(pathOf(mapOne({ file, files: FILES }))).toBe(expected);
  });
});
