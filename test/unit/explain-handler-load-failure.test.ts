import { describe, expect, it } from 'vitest';
import { explainHandlerLoadFailure } from '../../functions/core/repair/explain-handler-load-failure.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';

// The messages are the runtimes' own wording (test/fixtures/traces/lambda/*-load-*.events.jsonl
// hold them as captured; lambda-runtime-formats.test.ts checks the detector makes these records).
const explain = (
  exceptionType: string,
  message: string,
  files: Record<string, string>,
  pathPrefix = '',
): Promise<string | undefined> =>
  explainHandlerLoadFailure({
    error: { exceptionType, message, raw: message },
    repo: makeFakeRepo(files),
    pathPrefix,
  });
const IMPORT = 'Runtime.ImportModuleError';
const NOT_FOUND = 'Runtime.HandlerNotFound';
const PY_MISSING = "Unable to import module 'lambda_function': No module named 'requests'";

describe('explainHandlerLoadFailure: a Python module the package lacks', () => {
  it('says the build left out a requirement the repository lists', async () => {
    const reason = await explain(IMPORT, PY_MISSING, {
      'lambda_function.py': 'import requests\n',
      'requirements.txt': 'boto3==1.35.0\nRequests>=2.31 ; python_version >= "3.8"\n',
    });
    expect(reason).toMatch(/^no fix was attempted: Lambda could not load the function's code/);
    expect(reason).toContain(
      'requirements.txt lists requests, so the deployment package was built without it',
    );
    expect(reason).toMatch(/\(no model call was made\)$/);
  });

  it('says to add one no manifest lists, naming the distribution where it differs', async () => {
    expect(
      await explain(IMPORT, PY_MISSING, { 'lambda_function.py': '', 'requirements.txt': 'boto3\n' }),
    ).toContain(
      "no requirements file beside the function's code or above it (requirements.txt, pyproject.toml, Pipfile, setup.py) lists requests",
    );
    const yaml = await explain(IMPORT, "Unable to import module 'app': No module named 'yaml'", {
      'pyproject.toml': '[project]\nname = "shop"\ndependencies = [\n  "PyYAML>=6",\n]\n',
    });
    expect(yaml).toContain("pyproject.toml lists PyYAML (the distribution that provides 'yaml' is PyYAML)");
    // a requirement named like the module only inside another's name does not count
    expect(
      await explain(IMPORT, PY_MISSING, {
        'requirements.txt': 'requests-toolbelt==1.0\n# requests is vendored\n',
      }),
    ).toContain('no requirements file of the repository');
  });

  it("looks only at the function's own manifests in a repository of several functions", async () => {
    // The layout of aws-samples/serverless-test-samples, where this was found with the repository
    // routed whole (no path prefix): a CI requirements file and another service's manifest list
    // what this function's does not, and were cited.
    const files = {
      '.github/metadata/requirements.txt': 'PyGithub\njmespath\n',
      'python-test-samples/apigw-lambda-dynamodb/src/orders_handler.py': 'import jmespath\n',
      'python-test-samples/apigw-lambda-dynamodb/src/requirements.txt':
        'aws-xray-sdk\naws_lambda_powertools\n',
      'python-test-samples/apigw-lambda-dynamodb/tests/requirements.txt': 'pytest\njmespath\n',
      'python-test-samples/other-service/src/app.py': '',
      'python-test-samples/other-service/src/requirements.txt': 'jmespath\n',
      'python-test-samples/other-service/src/utils/__init__.py': '',
    };
    const missing = (module: string) =>
      explain(IMPORT, `Unable to import module 'orders_handler': No module named '${module}'`, files);
    expect(await missing('jmespath')).toContain(
      "no requirements file beside the function's code or above it (requirements.txt, pyproject.toml, Pipfile, setup.py) lists jmespath",
    );
    expect(await missing('aws_xray_sdk')).toContain(
      'python-test-samples/apigw-lambda-dynamodb/src/requirements.txt lists aws_xray_sdk',
    );
    // another service's module is not this function's own
    expect(await missing('utils')).toContain("no requirements file beside the function's code");
    // a handler file several functions have: which manifest is this one's is not known
    expect(
      await explain(IMPORT, "Unable to import module 'app': No module named 'jmespath'", {
        ...files,
        'python-test-samples/apigw-lambda-dynamodb/src/app.py': '',
      }),
    ).toContain(
      "2 functions of the repository (python-test-samples/apigw-lambda-dynamodb/src, python-test-samples/other-service/src) have the handler's file, so which manifest is this function's is not known",
    );
  });

  it("says the package is the repository's own module when it is", async () => {
    const reason = await explain(
      IMPORT,
      "Unable to import module 'lambda_function': No module named 'orders'",
      { 'services/checkout/lambda_function.py': '', 'services/checkout/orders/__init__.py': '' },
      'services/checkout',
    );
    expect(reason).toContain(
      "'orders' is the repository's own module (services/checkout/orders/__init__.py)",
    );
  });

  it("says the handler's own module is not at the package's root", async () => {
    const message = "Unable to import module 'lambda_function': No module named 'lambda_function'";
    expect(
      await explain(IMPORT, message, { 'src/lambda_function.py': '', 'requirements.txt': '' }),
    ).toContain(
      "the handler's own module, lambda_function.py, is not at the root of the deployed package, though the repository holds it (src/lambda_function.py): a zip made of its folder",
    );
    expect(await explain(IMPORT, message, { 'app.py': '' })).toContain(
      'names the module lambda_function, which neither the deployed package nor the repository holds',
    );
  });

  it('says which name a module of the repository no longer defines', async () => {
    // Python 3.11's own words (run here), inside the runtime's `Unable to import module` report
    const message =
      "Unable to import module 'lambda_function': cannot import name 'price' from 'orders.pricing' (/var/task/orders/pricing.py)";
    const pricing =
      'from decimal import Decimal\n\nRATE: Decimal = Decimal("1.2")\n\ndef total(x):\n    return x\n';
    expect(
      await explain(IMPORT, message, { 'orders/__init__.py': '', 'orders/pricing.py': pricing }),
    ).toContain(
      'the code imports price from orders/pricing.py, which does not define it (it defines RATE, total, Decimal): it was renamed or removed',
    );
    expect(await explain(IMPORT, message, { 'orders/pricing.py': `${pricing}\nprice = total\n` })).toContain(
      'which defines it in the repository: the deployed package holds another version',
    );
    expect(
      await explain(
        IMPORT,
        "Unable to import module 'lambda_function': cannot import name 'price' from partially initialized module 'orders.pricing' (most likely due to a circular import) (/var/task/orders/pricing.py)",
        { 'orders/pricing.py': pricing },
      ),
    ).toContain('a circular import');
  });

  it('says a compiled extension was built for another platform', async () => {
    const reason = await explain(
      IMPORT,
      "Unable to import module 'lambda_function': No module named 'pydantic_core._pydantic_core'",
      { 'requirements.txt': 'pydantic\n' },
    );
    expect(reason).toContain("'pydantic_core._pydantic_core' is the compiled part of pydantic_core");
    expect(reason).toContain('--platform manylinux2014_x86_64');
  });
});

describe('explainHandlerLoadFailure: a Node package the package lacks', () => {
  const cjs =
    "Error: Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js\n- /var/runtime/index.mjs";
  const pkg = (deps: Record<string, Record<string, string>>) => JSON.stringify({ name: 'shop', ...deps });

  it('reads which section of package.json lists it', async () => {
    expect(
      await explain(IMPORT, cjs, { 'index.js': '', 'package.json': pkg({ dependencies: { axios: '^1' } }) }),
    ).toContain(
      'package.json lists axios in its dependencies, so the deployment package was built without it',
    );
    expect(
      await explain(IMPORT, cjs, {
        'index.js': '',
        'package.json': pkg({ devDependencies: { axios: '^1' } }),
      }),
    ).toContain('package.json lists axios only in devDependencies');
    expect(await explain(IMPORT, cjs, { 'index.js': '', 'package.json': pkg({}) })).toContain(
      "no package.json beside the function's code or above it lists axios",
    );
  });

  it('names a scoped package by its scope and name, and an ES module import alike', async () => {
    const esm = "Cannot find package '@aws-lambda-powertools/logger' imported from /var/task/index.mjs";
    expect(
      await explain(IMPORT, esm, {
        'package.json': pkg({ dependencies: { '@aws-lambda-powertools/logger': '^2' } }),
      }),
    ).toContain('package.json lists @aws-lambda-powertools/logger in its dependencies');
    expect(
      await explain(IMPORT, "Error: Cannot find module 'lodash/fp'\nRequire stack:\n- /var/task/index.js", {
        'package.json': pkg({}),
      }),
    ).toContain('lists lodash,');
  });

  it("reads the package.json of a TypeScript function's sources, not another function's", async () => {
    const reason = await explain(
      IMPORT,
      "Error: Cannot find module 'zod'\nRequire stack:\n- /var/task/orders/handler.js",
      {
        'services/orders/orders/handler.ts': '',
        'services/orders/package.json': pkg({ devDependencies: { zod: '^3' } }),
        'services/billing/package.json': pkg({ dependencies: { zod: '^3' } }),
      },
    );
    expect(reason).toContain('services/orders/package.json lists zod only in devDependencies');
  });

  it('says the nodejs18.x and later runtimes carry no v2 aws-sdk', async () => {
    const reason = await explain(
      IMPORT,
      "Error: Cannot find module 'aws-sdk'\nRequire stack:\n- /var/task/index.js",
      {
        'package.json': pkg({}),
      },
    );
    expect(reason).toContain('no package.json of the repository lists aws-sdk');
    expect(reason).toContain("not v2's aws-sdk");
  });

  it('tells a file the build left out from one that does not exist', async () => {
    const relative = "Error: Cannot find module './lib/config'\nRequire stack:\n- /var/task/src/index.js";
    expect(await explain(IMPORT, relative, { 'src/index.js': '', 'src/lib/config.ts': '' })).toContain(
      "src/index.js imports './lib/config', which is in the repository (src/lib/config.ts) but not in the deployed package",
    );
    expect(await explain(IMPORT, relative, { 'src/index.js': '' })).toContain(
      'which the repository does not hold either',
    );
  });

  it('leaves an ES module imported without its extension to the model, which Node told the fix', async () => {
    // Node 20's own words (`import './lib/config'` from an .mjs file, lib/config.js beside it)
    const esm =
      'Cannot find module \'/var/task/lib/config\' imported from /var/task/index.mjs\nDid you mean to import "./lib/config.js"?';
    expect(await explain('Error', esm, { 'index.mjs': '', 'lib/config.js': '' })).toBeUndefined();
  });
});

describe('explainHandlerLoadFailure: a handler the module does not define', () => {
  it('lists what the Python module defines', async () => {
    const reason = await explain(NOT_FOUND, "Handler 'handler' missing on module 'lambda_function'", {
      'lambda_function.py':
        'import json\n\ndef lambda_handler(event, context):\n    return 1\n\nasync def price(x):\n    pass\n',
    });
    expect(reason).toContain(
      "the handler setting 'lambda_function.handler' names handler, which lambda_function.py does not define (it defines lambda_handler, price)",
    );
  });

  it('reads what a Node module exports, in its common spellings', async () => {
    const message = 'index.handler is undefined or not exported';
    for (const source of [
      'exports.main = async () => 1;',
      'module.exports = { main, other: x };',
      'export const main = async () => 1;',
      'const a = 1;\nexport { a as main };',
    ])
      expect(await explain(NOT_FOUND, message, { 'index.mjs': source }), source).toContain(
        'which index.mjs does not export (it defines main',
      );
    expect(await explain(NOT_FOUND, message, { 'index.js': 'exports.handler = async () => 1;' })).toContain(
      'the deployed package holds another version of index.js, or none',
    );
  });

  it('says when the module is not in the repository at all', async () => {
    expect(
      await explain(NOT_FOUND, 'app.handler is undefined or not exported', { 'index.js': '' }),
    ).toContain('names a module the repository does not hold (app.js)');
  });
});

describe('explainHandlerLoadFailure: what it leaves alone', () => {
  it('answers nothing for other errors, or a message it cannot read', async () => {
    expect(await explain('KeyError', PY_MISSING, {})).toBeUndefined();
    expect(await explain(IMPORT, 'something else entirely', {})).toBeUndefined();
  });

  it('reads a package missing at run time only on Lambda, where there is a deployment package', async () => {
    const lazy = (raw: string) =>
      explainHandlerLoadFailure({
        error: { exceptionType: 'ModuleNotFoundError', message: "No module named 'requests'", raw },
        repo: makeFakeRepo({ 'requirements.txt': 'requests\n' }),
      });
    expect(await lazy('  File "/var/task/lambda_function.py", line 9, in handler')).toMatch(
      /^no fix was attempted: the code imports a module the deployment package does not hold — requirements.txt lists requests/,
    );
    expect(await lazy('  File "/srv/shop/app.py", line 9, in handler')).toBeUndefined();
  });

  it('says a malformed handler setting is configuration', async () => {
    expect(
      await explain(
        'Runtime.MalformedHandlerName',
        "Bad handler 'lambda_function': not enough values to unpack",
        {},
      ),
    ).toContain("the function's handler setting 'lambda_function' is not `<file>.<function>`");
  });
});

describe('explainHandlerLoadFailure: a dependency class a Java jar lacks', () => {
  // Build files as aws-samples/serverless-test-samples' java-test-samples declare them.
  const missing = (cls: string, build: Record<string, string>) =>
    explain('java.lang.NoClassDefFoundError', `Error loading class com.example.TicketFunction: ${cls}`, {
      'TicketsFunction/src/main/java/com/example/TicketFunction.java': '',
      ...build,
    });
  const POM = `<project><dependencyManagement><dependencies>
    <dependency><groupId>software.amazon.awssdk</groupId><artifactId>bom</artifactId></dependency>
  </dependencies></dependencyManagement><dependencies>
    <dependency><groupId>com.amazonaws</groupId><artifactId>aws-lambda-java-core</artifactId></dependency>
    <dependency><groupId>com.amazonaws</groupId><artifactId>aws-lambda-java-events</artifactId></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId></dependency>
    <dependency><groupId>software.amazon.awssdk</groupId><artifactId>dynamodb</artifactId></dependency>
  </dependencies></project>`;

  it('names the declared dependency whose group and artifact say it holds the class', async () => {
    expect(
      await missing('com/amazonaws/services/lambda/runtime/events/APIGatewayProxyRequestEvent', {
        'TicketsFunction/pom.xml': POM,
      }),
    ).toContain('TicketsFunction/pom.xml declares com.amazonaws:aws-lambda-java-events, which would provide');
    expect(
      await missing('software/amazon/awssdk/services/dynamodb/DynamoDbClient', {
        'TicketsFunction/pom.xml': POM,
      }),
    ).toContain('TicketsFunction/pom.xml declares software.amazon.awssdk:dynamodb');
    expect(
      await missing('software/amazon/awssdk/services/dynamodb/DynamoDbClient', {
        'TicketsFunction/build.gradle':
          "dependencies {\n  implementation 'software.amazon.awssdk:dynamodb:2.25.0'\n}\n",
      }),
    ).toContain('TicketsFunction/build.gradle declares software.amazon.awssdk:dynamodb');
  });

  it('does not take a neighbour in a broad group for it', async () => {
    // org.apache.logging.log4j is not org.apache.commons.lang3; com.amazonaws's events artifact is not S3
    expect(
      await missing('org/apache/commons/lang3/StringUtils', { 'TicketsFunction/pom.xml': POM }),
    ).toContain(
      'no build file of the function (TicketsFunction/pom.xml) declares a dependency that provides org.apache.commons.lang3',
    );
    expect(await missing('com/amazonaws/services/s3/AmazonS3', { 'TicketsFunction/pom.xml': POM })).toContain(
      'declares a dependency that provides com.amazonaws.services.s3',
    );
  });
});

describe('explainHandlerLoadFailure: a Ruby file the package lacks', () => {
  it("tells the package's own file left out from one that does not exist", async () => {
    // `require_relative 'lib/orders'` from /var/task/lambda_function.rb, as Ruby words it
    const raw =
      "cannot load such file -- /var/task/lib/orders\n/var/task/lambda_function.rb:1:in `require_relative'";
    const reason = (files: Record<string, string>) =>
      explainHandlerLoadFailure({
        error: { exceptionType: 'LoadError', message: 'cannot load such file -- /var/task/lib/orders', raw },
        repo: makeFakeRepo(files),
      });
    expect(await reason({ 'lambda_function.rb': '', 'lib/orders.rb': '' })).toContain(
      'the code requires lib/orders.rb, which is in the repository (lib/orders.rb) but not in the deployed package',
    );
    expect(await reason({ 'lambda_function.rb': '' })).toContain('which the repository does not hold either');
  });
});

describe('explainHandlerLoadFailure: a Java class missing where the runtime does not say it loaded the handler', () => {
  // The Java runtime client reports a class missing in the handler's constructor with the class
  // alone as the message (no `Error loading class` before it), as captured alongside the fixtures.
  const raw =
    'com/fasterxml/jackson/databind/ObjectMapper: java.lang.NoClassDefFoundError\njava.lang.NoClassDefFoundError: com/fasterxml/jackson/databind/ObjectMapper\n\tat example.Hello.<init>(Hello.java:9)';
  const explainMissing = (message: string, trace: string) =>
    explainHandlerLoadFailure({
      error: { exceptionType: 'java.lang.NoClassDefFoundError', message, raw: trace },
      repo: makeFakeRepo({
        'pom.xml': '<project><dependencies></dependencies></project>',
        'src/main/java/example/Hello.java': '',
      }),
    });

  it('reads the class from the message alone', async () => {
    expect(await explainMissing('com/fasterxml/jackson/databind/ObjectMapper', raw)).toMatch(
      /^no fix was attempted: Lambda could not load the function's code.*no build file of the function \(pom\.xml\) declares a dependency that provides com\.fasterxml\.jackson\.databind/,
    );
  });

  it("leaves a class missing outside the runtime's report to the model: a server's classpath is another matter", async () => {
    expect(
      await explainMissing(
        'com/fasterxml/jackson/databind/ObjectMapper',
        'java.lang.NoClassDefFoundError: com/fasterxml/jackson/databind/ObjectMapper\n\tat example.Hello.save(Hello.java:20)',
      ),
    ).toBeUndefined();
  });

  it('leaves a class whose initialiser failed before to the model', async () => {
    expect(
      await explainMissing(
        'Could not initialize class example.Config',
        'java.lang.NoClassDefFoundError: Could not initialize class example.Config',
      ),
    ).toBeUndefined();
  });
});
