import type { Language } from '../contracts.ts';

// Paths that belong to dependencies or the runtime, whatever the language (`/var/runtime/`: the
// Lambda runtimes' own code, such as the Ruby runtime client under it; `npm/<registry host>/`: the
// npm packages Deno imports with `npm:` and keeps in its cache, `$DENO_DIR/npm/registry.npmjs.org/
// express/4.22.3/lib/router/index.js`, with no node_modules folder unless the project asks for one;
// `<name>@<version>@@@1/`: the packages Bun installs on the fly where there is none, in
// `~/.bun/install/cache/semver@7.8.6@@@1/classes/semver.js`). Cargo keeps crates under its home,
// `~/.cargo` on a workstation but `/usr/local/cargo` in the official Rust images (CARGO_HOME) and
// `/usr/share/cargo/registry` for Debian's packaged crates; under any other home, a registry's copy
// is told by its index folder (`registry/src/index.crates.io-6f17d22bba15001f/`).
const VENDORED =
  /^(?:file:\/\/)?\/var\/runtime\/|(?:^|[\\/])(?:node_modules|site-packages|dist-packages|vendor|\.venv|venv|bower_components|\.?cargo[\\/](?:registry|git)|registry[\\/]src[\\/][^\\/]+-[0-9a-f]{16}|\.rustup|gems|\.bundle|pkg[\\/]mod|npm[\\/][\w-]+(?:\.[\w-]+)+|[^\\/]+@@@\d+)[\\/]/;

/** Elixir's and OTP's applications, and a Phoenix stack's Hex packages: never the application's code. */
const ELIXIR_RUNTIME_APPS = [
  ...'elixir stdlib kernel mix logger ex_unit iex eex compiler erts crypto ssl inets public_key asn1'.split(
    ' ',
  ),
  ...'sasl runtime_tools tools os_mon mnesia ssh xmerl syntax_tools parsetools observer debugger eunit'.split(
    ' ',
  ),
  ...'plug plug_cowboy plug_crypto cowboy cowlib ranch bandit thousand_island websock_adapter'.split(' '),
  ...'phoenix phoenix_live_view phoenix_html phoenix_pubsub phoenix_ecto phoenix_template phoenix_view'.split(
    ' ',
  ),
  ...'ecto ecto_sql postgrex myxql db_connection telemetry jason poison finch mint tesla httpoison'.split(
    ' ',
  ),
  ...'hackney req oban broadway gen_stage absinthe swoosh nimble_pool decimal ex_aws'.split(' '),
];
// The same applications as an Elixir module's first segment names them: `DBConnection` is
// db_connection's, `Phoenix.Endpoint` phoenix's (compared without case or underscores).
const ELIXIR_RUNTIME_NAMESPACES = new Set(ELIXIR_RUNTIME_APPS.map((app) => app.replaceAll('_', '')));

/**
 * An Elixir module of those applications (`Phoenix.Router`, `DBConnection.Holder`), for frames that
 * name their module and no application (a stacktrace printed as an Erlang term).
 */
export function isElixirRuntimeModule(module: string): boolean {
  const first = module.split('.', 1)[0] ?? '';
  return ELIXIR_RUNTIME_NAMESPACES.has(first.toLowerCase());
}

/**
 * The import names of the packages Python functions on Lambda most often ship with, installed next
 * to the function's own code: `sam build` and `pip install -t .` put them at the package's root
 * (`/var/task/sqlalchemy/…`), a layer's `python/` folder at `/opt/python/…`. Their frames are no
 * more the application's than under site-packages; counted as its own, a deep library stack filled
 * a fingerprint's frames, and two bugs that fail inside one library call (a NOT NULL insert from
 * two places through SQLAlchemy's ORM) were one incident.
 */
const LAMBDA_BUNDLED_PYTHON = new Set(
  [
    'boto3 botocore s3transfer jmespath dateutil urllib3 requests certifi charset_normalizer chardet idna',
    'six yaml typing_extensions pydantic pydantic_core annotated_types attr attrs wrapt',
    'aws_lambda_powertools aws_xray_sdk sqlalchemy alembic psycopg2 psycopg pymysql MySQLdb asyncpg',
    'redis pymongo bson gridfs motor pynamodb httpx httpcore h11 h2 anyio sniffio fastapi starlette',
    'mangum flask werkzeug jinja2 markupsafe itsdangerous click blinker django rest_framework',
    'jsonschema jsonschema_specifications referencing rpds cryptography cffi jwt jose nacl bcrypt',
    'numpy pandas pytz tzdata orjson ujson simplejson stripe openai anthropic google grpc',
    'elasticsearch opensearchpy aiohttp multidict yarl frozenlist aiosignal async_timeout tenacity',
    'backoff structlog sentry_sdk datadog_lambda ddtrace newrelic celery kombu marshmallow chalice',
    'awswrangler pyarrow requests_aws4auth slack_sdk twilio sendgrid mako lxml bs4 PIL dns',
    'email_validator dotenv pyparsing packaging cachetools deprecated',
    // the layers that instrument a function (AWS Distro for OpenTelemetry's, Lumigo's: each wraps
    // botocore's BaseClient._make_api_call, a frame between every boto3 call and its ClientError)
    // and the servers Lambda Web Adapter runs an ASGI or WSGI app under
    'opentelemetry lumigo_tracer epsagon uvicorn uvloop httptools gunicorn greenlet gevent',
    'aiobotocore aioboto3',
    'googleapiclient importlib_metadata zipp pkg_resources setuptools _distutils_hack pip wheel',
  ].flatMap((names) => names.split(' ')),
);
const LAMBDA_CODE_ROOT = /^\/(?:var\/task|opt\/python)\/([A-Za-z_][\w]*)\//;

/**
 * The import names a Python service's own package is not, beyond those a Lambda function bundles:
 * servers and workers, test runners, message clients, and backports of the standard library. Kept
 * out of LAMBDA_BUNDLED_PYTHON, which moves the in-app line, because some are words a function's
 * own folder may be named (`/var/task/channels/`, `/var/task/graphql/`): they change fingerprints
 * only where `isLikelyAppPackageFrame` asks.
 */
const KNOWN_PYTHON_LIBRARIES = new Set([
  ...LAMBDA_BUNDLED_PYTHON,
  ...[
    '_pytest pytest pluggy websockets watchfiles hypercorn daphne waitress asgiref channels billiard',
    'amqp vine eventlet psutil tornado twisted sanic falcon pyramid bottle kafka confluent_kafka pika',
    'rq dramatiq graphql graphene strawberry msgpack httplib2 oauthlib requests_oauthlib typing',
    'dataclasses enum contextvars importlib_resources backports exceptiongroup tomli',
  ].flatMap((names) => names.split(' ')),
]);
// The top-level package a file belongs to when it is installed (`pip install .` puts a service's own
// package there too): the first folder after `site-packages/` or `dist-packages/`.
const INSTALLED_PYTHON_PACKAGE = /(?:^|[\\/])(?:site|dist)-packages[\\/]([A-Za-z_]\w*)[\\/]/;

/**
 * Whether a frame that is no application's by `isInApp` is likely the service's own package,
 * installed with pip (`/usr/local/lib/python3.11/site-packages/shop/orders.py`): a Python package
 * under site-packages or dist-packages whose import name is none of the well-known libraries. The
 * detector cannot know the service's package; a fingerprint prefers these frames to a library's
 * when no frame is in-app (`fingerprintParts`), and nothing else reads them.
 */
export function isLikelyAppPackageFrame(language: Language, file: string): boolean {
  if (language !== 'python') return false;
  const top = INSTALLED_PYTHON_PACKAGE.exec(file)?.[1];
  return top !== undefined && !KNOWN_PYTHON_LIBRARIES.has(top);
}

const RUNTIME: Partial<Record<Language, RegExp>> = {
  // `<template>`: Jinja's frame for a template made from a string, which names no file to repair.
  // A console script pip wrote where an installation keeps its commands (`/usr/local/bin/shop-worker`
  // in the python images, `~/.local/bin/`, pyenv's and conda's `bin/`): two lines that call the
  // package's entry point, never the service's source. Counted as the service's, it was the one
  // in-app frame of every error a pip-installed service did not catch, so the fingerprint kept
  // neither the service's frames nor the message: every IntegrityError was one incident.
  // On Windows the standard library has no version folder: `C:\Python311\Lib\json\decoder.py`, an
  // installer's `AppData\Local\Programs\Python\Python311\Lib\`, conda's `envs\<name>\lib\`.
  python:
    /(?:^|[\\/])(?:lib[\\/]python\d(?:\.\d+)?|lib64[\\/]python\d)[\\/]|^[A-Za-z]:[\\/](?:.*?[\\/])?(?:Python\d{1,3}[\w.-]*|[Aa]naconda\d?|[Mm]iniconda\d?|envs[\\/][^\\/]+|versions[\\/]\d[\w.-]*)[\\/][Ll]ib[\\/]|^<frozen |^<string>$|^<stdin>$|^<template>$|^\/(?:usr\/(?:local\/)?)?bin\/[^/]+$|[\\/]\.local[\\/]bin[\\/][^\\/]+$|[\\/]\.pyenv[\\/]versions[\\/][^\\/]+[\\/]bin[\\/][^\\/]+$|^\/opt\/conda\/bin\/[^/]+$/,
  // Deno's own code (`ext:deno_http/00_serve.ts`) and the hosts it imports remote modules from
  javascript:
    /^node:|^internal[\\/]|^(?:native|<anonymous>|index \d+)$|^evalmachine\.|^ext:|^https?:\/\/(?:deno\.land|jsr\.io|esm\.sh|cdn\.jsdelivr\.net|unpkg\.com)\//,
  // and the libraries a JVM service's stack runs through most (the AWS SDKs and the Lambda runtime's
  // `lambdainternal`, HTTP and gRPC clients, JDBC drivers and pools, Redis and MongoDB clients,
  // Google's common libraries): an error raised deep in one (okhttp's 18 frames to a refused
  // connection) would otherwise fill a fingerprint's frames with the library's, and every call to
  // it that fails the same way would be one incident
  java: /^(?:java|javax|jakarta|jdk|sun|com\.sun|kotlin|kotlinx|scala|org\.springframework|org\.apache|org\.hibernate|io\.netty|reactor|com\.fasterxml|org\.junit|org\.eclipse|ch\.qos|org\.slf4j|software\.amazon|com\.amazonaws|lambdainternal|okhttp3|okio|retrofit2|feign|io\.grpc|com\.google\.(?:common|protobuf|gson|api|cloud|auth|inject)|com\.zaxxer|org\.postgresql|com\.mysql|org\.mariadb|org\.h2|org\.hsqldb|redis\.clients|io\.lettuce|com\.mongodb|org\.bson|io\.micrometer|io\.opentelemetry|io\.undertow|org\.jboss|org\.glassfish|io\.vertx|io\.quarkus|io\.micronaut|io\.reactivex|org\.aspectj|net\.bytebuddy|org\.mockito|org\.flywaydb|liquibase|org\.jooq|org\.mybatis|org\.thymeleaf|clojure|ring|compojure|cheshire|next\.jdbc|reitit|muuntaja|taoensso|clj_http|org\.httpkit|aleph|manifold|integrant|nrepl|groovy|org\.codehaus\.groovy|grails|org\.grails|org\.spockframework)\./,
  // module: the package path (a bare `runtime` too); file: GOROOT (golang image, Debian's /usr/lib/go-1.x),
  // -trimpath std paths, a module at its version (`github.com/aws/aws-lambda-go@v1.54.0/`: module
  // cache paths as -trimpath and aws-lambda-go's panic report print them), and the libraries Debian
  // and Ubuntu package for GOPATH builds (golang-github-gorilla-mux-dev: /usr/share/gocode/src/)
  go: /^\/usr\/share\/gocode\/|(?:^|\/)[\w.~-]+@v\d[^/]*\/|^(?:runtime|net|sync|reflect|testing|internal|syscall|os|io|encoding|crypto|fmt|strconv|errors|context|bufio|time|strings|bytes|sort|log|math|database|path|text|html|mime|regexp|unicode|compress|container|hash|expvar|flag|embed|slices|maps|cmp|iter)(?:[./]|$)|\/usr\/(?:local\/)?go\/src\/|\/usr\/lib\/go(?:-[\d.]+)?\/src\/|(?:^|\/)go\/src\/(?:runtime|net|sync|reflect|testing|internal)\//,
  // module: a Rails backtrace's gem prefix, `actionpack (5.1.4)`
  ruby: /[\\/]ruby[\\/]\d+\.\d+\.\d+[\\/]|[\\/]lib[\\/]ruby[\\/]|^<internal:|[\\/]gems[\\/]|^[\w.-]+ \([\w.]+\)$/,
  // Debian's and Ubuntu's packaged PHP libraries (php-guzzlehttp, php-symfony-*): /usr/share/php/
  php: /^\[internal function\]$|[\\/]vendor[\\/]|^\/usr\/share\/php\//,
  // and the libraries a .NET service's stack runs through most (Dapper and the data drivers, Redis,
  // MongoDB and message-bus clients, logging and mapping libraries)
  dotnet:
    /^(?:System|Microsoft|Newtonsoft|Npgsql|Grpc|Amazon|Azure|Polly|MediatR|Castle|Dapper|StackExchange|MongoDB|MySqlConnector|MySql|Pomelo|Oracle|Serilog|NLog|log4net|AutoMapper|FluentValidation|RabbitMQ|MassTransit|NServiceBus|Confluent|Hangfire|Quartz|Refit|RestSharp|Swashbuckle|HotChocolate|OpenTelemetry|Elastic|Google)\./,
  // module: a symbol's path (`__rustc` of `__rustc::rust_begin_unwind`, a release build's only clue)
  rust: /^(?:std|core|alloc|tokio|futures|hyper|tower|axum|actix|rayon|__rust|__rustc|rust_begin_unwind|backtrace)(?:::|$)|^<(?:std|core|alloc)::|^(?:rust_begin_unwind|__rust_try|__rust_start_panic|start_thread|clone3?|__libc_start_main|__libc_start_main_impl|__libc_start_call_main|_start|main|<unknown>)$|\/rustc\/[0-9a-f]+\/|[\\/]library[\\/](?:std|core|alloc)[\\/]|\.[cS]$/,
  // module: the application a frame's code belongs to (`(stdlib 4.2) gen_server.erl:1149: …`): OTP's
  // and Elixir's own, and the Hex packages of a Phoenix stack (whose paths, relative to the
  // package, look like the application's: `(plug 1.14.0) lib/plug/parsers.ex`); an Erlang call
  // printed without one (`:erlang.*("2", 5)`). file: a dependency compiled into the application
  // (`(shop 0.1.0) deps/phoenix/lib/phoenix/endpoint.ex`), a build directory, `nofile` (code
  // evaluated from a string: `mix run -e`, `Code.eval_string`, IEx).
  elixir: new RegExp(
    String.raw`(?:^|[\\/])(?:deps|_build)[\\/]|^:|^nofile$|^(?:${ELIXIR_RUNTIME_APPS.join('|')})$`,
  ),
};

/**
 * True when a frame is the application's own code: not a dependency, not the runtime.
 * `file` is the frame's path; `module` its package/namespace/function where the language
 * puts the owner there (Java class, .NET type, Go package, Rust path).
 */
export function isInApp({
  language,
  file,
  module,
}: {
  language: Language;
  file?: string;
  module?: string;
}): boolean {
  if (file && VENDORED.test(file)) return false;
  if (language === 'python' && file !== undefined && isLambdaBundledPython(file)) return false;
  const runtime = RUNTIME[language];
  if (!runtime) return true;
  // A JVM frame's file is a basename its class names already (`ring.clj` of `shop.ring`, not Ring)
  if (file && !(language === 'java' && module) && runtime.test(file)) return false;
  if (module && runtime.test(module)) return false;
  return true;
}

function isLambdaBundledPython(file: string): boolean {
  const top = LAMBDA_CODE_ROOT.exec(file)?.[1];
  return top !== undefined && LAMBDA_BUNDLED_PYTHON.has(top);
}
