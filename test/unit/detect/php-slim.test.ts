// Slim 4.12's ErrorHandler logging an error it caught, as slimphp/Slim-Skeleton runs (its
// docker-compose: `php -S 0.0.0.0:8080 -t public`, the repository at /var/www) with its settings
// for production (`logError` and `logErrorDetails` on, `displayErrorDetails` off), its composer
// dependencies under /var/www/vendor. A bug put into the skeleton's InMemoryUserRepository::findAll
// (`$this->users->all()` on an array; in the `-previous` captures caught and thrown again as a
// RuntimeException with it as the previous error; in the `-two-line-message-details` capture a
// RuntimeException of two lines thrown there, `displayErrorDetails` on) fails GET /users. Captured on PHP 8.2 (Debian's
// php-cli, php-fpm and Apache's mod_php): the built-in server's stderr, php-fpm's with the official
// image's `decorate_workers_output = no`, Apache's error log, and the skeleton's Monolog 2.9 logger
// (StreamHandler to stdout) when it is given to the error handler. Each also logs a GET /users/9 the
// action answers with Slim's HttpNotFoundException (`404 Not Found` instead of `Slim Application Error`).
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../../functions/core/repair/build-repair-prompt.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const REPOSITORY = '/var/www/src/Infrastructure/Persistence/User/InMemoryUserRepository.php';
const where = (record: ErrorRecord) => record.frames.map((f) => `${f.file.split('/').pop()}:${f.line}`);
const innermost = (record: ErrorRecord) => record.frames.at(-1);

/** The records a capture makes, as one event and one event per line. */
function bothShapes(path: string): ErrorRecord[][] {
  const { oneEvent, perLine } = deliveries(traceText(path));
  return [oneEvent, perLine].map((events) => detectErrors(makeEvents(events)).map((d) => d.record));
}

describe("Slim 4's logged error report (Type:, Code:, Message:, File:, Line:, Trace:)", () => {
  it.each([
    'php/php82-slim-4.12-cli-server-error-log.txt',
    'php/php82-slim-4.12-fpm-workers-undecorated.txt',
    // Apache's mod_php: the report on one line of Apache's error log, its newlines escaped
    'php/php82-slim-4.12-apache-mod-php-error-log.output',
  ])('%s: the error, thrown at File and Line, its trace the frames', (path) => {
    const { record } = readInBothShapes(path);
    expect(record).toMatchObject({
      language: 'php',
      exceptionType: 'Error',
      message: 'Call to a member function all() on array',
    });
    expect(innermost(record)).toMatchObject({
      file: REPOSITORY,
      line: 37,
      function: 'App\\Infrastructure\\Persistence\\User\\InMemoryUserRepository->findAll',
      inApp: true,
    });
    expect(where(record).slice(-4)).toEqual([
      'RequestResponse.php:38',
      'Action.php:40',
      'ListUsersAction.php:16',
      'InMemoryUserRepository.php:37',
    ]);
    expect(record.frames).toHaveLength(20);
    expect(record.frames.filter((f) => f.inApp)).toHaveLength(5);
  });

  it('Monolog on one line: the same record, the same incident as Slim wrote it over lines', () => {
    const [wholeRead] = bothShapes('php/php82-slim-4.12-cli-server-error-log.txt');
    for (const records of bothShapes('php/php82-slim-4.12-monolog-2.9-line.output')) {
      const [slim] = records;
      expect(slim).toMatchObject({ language: 'php', exceptionType: 'Error' });
      expect(slim?.frames).toEqual(wholeRead?.[0]?.frames);
      expect(fingerprintError(slim as ErrorRecord)).toBe(fingerprintError(wholeRead?.[0] as ErrorRecord));
    }
  });

  it.each([
    'php/php82-slim-4.12-cli-server-error-log-previous.txt',
    'php/php82-slim-4.12-monolog-2.9-line-previous.txt',
  ])('%s: the thrown error first, its Previous Error a cause, the message unescaped', (path) => {
    const { record } = readInBothShapes(path);
    expect(record).toMatchObject({
      exceptionType: 'RuntimeException',
      message: 'users store "memory" failed',
    });
    expect(innermost(record)).toMatchObject({ file: REPOSITORY, line: 40 });
    expect(record.causes).toHaveLength(1);
    expect(record.causes[0]).toMatchObject({
      exceptionType: 'Error',
      message: 'Call to a member function all() on array',
    });
    expect(innermost(record.causes[0] as ErrorRecord)).toMatchObject({ file: REPOSITORY, line: 38 });
  });

  it('a message of two lines, and no `Tips:` (details displayed): the next line of the server ends it', () => {
    const { record } = readInBothShapes(
      'php/php82-slim-4.12-cli-server-error-log-two-line-message-details.txt',
    );
    expect(record).toMatchObject({
      exceptionType: 'RuntimeException',
      message: 'users store failed:\nconnection refused (10.0.0.5:6379)',
    });
    expect(innermost(record)).toMatchObject({ file: REPOSITORY, line: 37 });
    expect(record.frames).toHaveLength(20);
  });

  it('reaches the queue through the default filter, which passes few of its lines', async () => {
    const lines = traceText('php/php82-slim-4.12-cli-server-error-log.txt').replace(/\n+$/, '').split('\n');
    const { delivered, jobs } = await deliverThroughDefaultFilter(lines);
    expect(delivered.length).toBeLessThan(lines.length / 2);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error).toMatchObject({ language: 'php', exceptionType: 'Error' });
    expect(innermost(jobs[0]?.error as ErrorRecord)).toMatchObject({ file: REPOSITORY, line: 37 });
  });

  it("is placed in the skeleton's repository: its own files mapped, composer's vendor/ not", async () => {
    const { record } = readInBothShapes('php/php82-slim-4.12-fpm-workers-undecorated.txt');
    // the skeleton's paths, with a few lines of our own
    const repo = makeFakeRepo({
      'public/index.php': '<?php\n$app->run();\n',
      'app/routes.php': '<?php\nreturn function ($app) {};\n',
      'src/Application/Actions/Action.php': '<?php\nabstract class Action {}\n',
      'src/Application/Actions/User/ListUsersAction.php': '<?php\nclass ListUsersAction {}\n',
      'src/Application/Middleware/SessionMiddleware.php': '<?php\nclass SessionMiddleware {}\n',
      'src/Infrastructure/Persistence/User/InMemoryUserRepository.php': `<?php\n${'// users\n'.repeat(36)}return array_values($this->users->all());\n`,
    });
    const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
    expect(mappings[0]).toMatchObject({
      kind: 'mapped',
      path: 'src/Infrastructure/Persistence/User/InMemoryUserRepository.php',
    });
    const vendor = mappings.filter((m) => m.frame.file.includes('/vendor/'));
    expect(vendor).toHaveLength(15);
    expect(vendor.every((m) => m.kind === 'unmapped' && m.reason === 'not_in_app')).toBe(true);
    const { prompt } = await buildRepairPrompt({ error: record, repo });
    expect(prompt).toContain('--- src/Infrastructure/Persistence/User/InMemoryUserRepository.php (lines');
    expect(prompt).toContain('return array_values($this->users->all());');
  });

  it('is placed in slimphp/Slim, the package composer installed, when that is the repository', async () => {
    const { record } = readInBothShapes('php/php82-slim-4.12-fpm-workers-undecorated.txt');
    const files = {
      'composer.json': JSON.stringify({ name: 'slim/slim', type: 'library' }),
      'Slim/App.php': `<?php\n${'// app\n'.repeat(198)}return $this->middlewareDispatcher->handle($request);\n`,
      'Slim/MiddlewareDispatcher.php': '<?php\nclass MiddlewareDispatcher {}\n',
      'Slim/Routing/Route.php': '<?php\nclass Route {}\n',
      'tests/AppTest.php': '<?php\nclass AppTest {}\n',
    };
    const mappings = await mapTraceToRepo({ error: record, repo: makeFakeRepo(files), pathPrefix: '' });
    const placed = (file: string) =>
      mappings
        .filter((m) => m.frame.file.endsWith(file))
        .map((m) => (m.kind === 'mapped' ? m.path : m.reason));
    expect(placed('/Slim/App.php')).toEqual(['Slim/App.php']);
    expect(new Set(placed('/Slim/MiddlewareDispatcher.php'))).toEqual(
      new Set(['Slim/MiddlewareDispatcher.php']),
    );
    // the skeleton's own files are no file of Slim's
    expect(placed('/InMemoryUserRepository.php')).toEqual(['no_match']);
    const { prompt } = await buildRepairPrompt({ error: record, repo: makeFakeRepo(files) });
    expect(prompt).toContain('return $this->middlewareDispatcher->handle($request);');
  });
});
