// The Java runtime client: a handler class the jar lacks, a dependency's class it lacks, a handler
// method the class does not have.
import { HANDLER_NOT_FOUND } from '../../detect/lambda-platform.ts';
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { readText } from '../place-bundled-frames.ts';
import type { FunctionFiles, RuntimeReader } from './function-files.ts';

// Java (aws-lambda-java-runtime-interface-client): `Class not found: example.Hello`, `Error loading
// class example.Hello: com/fasterxml/jackson/databind/ObjectMapper` (a class the jar lacks),
// `No public method named handle with appropriate method signature found on class example.Hello`.
const JAVA_CLASS_NOT_FOUND = /Class not found: ([\w.$]{1,300})/;
const JAVA_CLASS_MISSING =
  /Error loading class [\w.$]{1,300}: ([\w$]{1,100}(?:\/[\w$]{1,100}){1,30})(?![\w$/])/;
// How the runtime client prints a fault it reports (UserFault.reportableError): `<message>: <type>`.
const RUNTIME_REPORT = /^[^\n]{1,300}: java\.lang\.NoClassDefFoundError$/m;
// The whole message of a NoClassDefFoundError: `com/fasterxml/jackson/databind/ObjectMapper`.
const SLASHED_CLASS = /^([\w$]{1,100}(?:\/[\w$]{1,100}){2,30})\s*$/;
const JAVA_NO_METHOD =
  /No public method named ([\w$]{1,200}) with appropriate method signature found on class ([\w.$]{1,300})/;
const JAVA_HANDLER_CLASS = /(?:Error loading class|Class not found:|found on class) ([\w.$]{1,300})/;
const JVM_SOURCES = ['java', 'kt', 'scala', 'groovy'];
const JVM_BUILD = /(?:^|\/)(?:pom\.xml|build\.gradle(?:\.kts)?|build\.sbt)$/;

/** The Java runtime client's reports: a handler class, a class it uses, or a handler method it cannot load. */
export const java: RuntimeReader = {
  claims({ exceptionType }, text) {
    const claimed =
      // the runtime client's own report (`<message>: java.lang.NoClassDefFoundError`): loading the
      // handler's class or constructing it; elsewhere the class may be missing for other reasons
      (exceptionType === 'java.lang.NoClassDefFoundError' &&
        missingClassIn(text) !== undefined &&
        (JAVA_CLASS_MISSING.test(text) || RUNTIME_REPORT.test(text))) ||
      (exceptionType === 'java.lang.ClassNotFoundException' && JAVA_CLASS_NOT_FOUND.test(text)) ||
      (exceptionType === HANDLER_NOT_FOUND && JAVA_NO_METHOD.test(text));
    return claimed ? 'init' : undefined;
  },
  anchors(text) {
    const handlerClass = JAVA_HANDLER_CLASS.exec(text)?.[1];
    return handlerClass === undefined ? [] : jvmSources(handlerClass);
  },
  explain: javaLoadFailure,
};

/**
 * The class a NoClassDefFoundError says is missing: after the runtime's `Error loading class …: `
 * (a static field of the handler's class), or the whole message (the handler's constructor, and
 * any code that runs later). `Could not initialize class x.Y` is another failure (its initialiser
 * threw before), and names the class with dots.
 */
function missingClassIn(text: string): string | undefined {
  return JAVA_CLASS_MISSING.exec(text)?.[1] ?? SLASHED_CLASS.exec(text.split('\n', 1)[0] ?? '')?.[1];
}

/** `example.Hello$Inner` → `example/Hello.java`, `.kt`, …: where its source would be under a source root. */
function jvmSources(className: string): string[] {
  const path = className.replace(/\$.*$/, '').replace(/\./g, '/');
  return JVM_SOURCES.map((ext) => `${path}.${ext}`);
}

/** The Java runtime could not load the handler's class, a class it uses, or the handler's method. */
async function javaLoadFailure(
  text: string,
  files: FunctionFiles,
  repo: RepoReader,
): Promise<string | undefined> {
  const noMethod = JAVA_NO_METHOD.exec(text);
  if (noMethod?.[1] && noMethod[2]) {
    const [, method, cls] = noMethod;
    const file = files.findAnywhere(jvmSources(cls));
    if (!file)
      return `the handler setting names the method ${method} of ${cls}, a class the repository does not define: check the setting (package.Class::method) and the log group's routing`;
    const methods = jvmPublicMethods((await readText(repo, file)) ?? '');
    if (methods.includes(method))
      return `the handler setting names ${cls}::${method}, which ${file} in the repository defines: the deployed jar holds another version of the class, so deploy the current build`;
    const listed = methods.length > 0 ? ` (its public methods: ${methods.slice(0, 8).join(', ')})` : '';
    return `the handler setting names ${cls}::${method}, and ${file} has no public method ${method} a handler can be${listed}: point the setting at the method that handles events`;
  }
  const notFound = JAVA_CLASS_NOT_FOUND.exec(text)?.[1];
  if (notFound) {
    const file = files.findAnywhere(jvmSources(notFound));
    return file
      ? `the handler setting names ${notFound}, which the repository defines (${file}), and the deployed package does not hold its compiled class: deploy the jar or zip the build makes, not the sources or another module's artifact`
      : `the handler setting names the class ${notFound}, which the repository does not define: check the setting (package.Class::method) and the log group's routing`;
  }
  const missing = missingClassIn(text);
  if (!missing) return undefined;
  const cls = missing.replace(/\//g, '.');
  const own = files.findAnywhere(jvmSources(cls));
  if (own)
    return `${cls} is the repository's own class (${own}), and the deployed jar does not hold it: package every module the function uses into the artifact Lambda runs`;
  const pkg = cls.split('.').slice(0, -1);
  const builds = files.manifests(JVM_BUILD);
  for (const build of builds) {
    // The likeliest: the most words of the package in its artifact (aws-lambda-java-events over
    // aws-lambda-java-core for …lambda.runtime.events); a BOM holds no classes.
    let dependency: JvmDependency | undefined;
    let best = 0;
    for (const d of declaredDependencies((await readText(repo, build)) ?? '')) {
      const score = d.artifact === 'bom' || d.artifact.endsWith('-bom') ? 0 : provides(d, pkg);
      if (score > best) [dependency, best] = [d, score];
    }
    if (dependency)
      return `${build} declares ${dependency.group}:${dependency.artifact}, which would provide ${cls}, and the deployed jar does not hold it: Lambda runs one jar with every dependency in it (the maven-shade-plugin, Gradle's shadow plugin) or a zip with them in lib/, and a dependency of scope provided (or compileOnly) is left out`;
  }
  const where = builds.length > 0 ? `(${builds.slice(0, 3).join(', ')})` : '(pom.xml, build.gradle)';
  return `no build file of the function ${where} declares a dependency that provides ${pkg.join('.')}, whose class ${cls.split('.').at(-1)} its code uses: add the one that does`;
}

interface JvmDependency {
  group: string;
  artifact: string;
}

/** The dependencies a pom.xml, build.gradle(.kts) or build.sbt declares, as far as its text says plainly. */
function declaredDependencies(build: string): JvmDependency[] {
  const found: JvmDependency[] = [];
  const patterns = [
    /<groupId>\s*([\w.-]{1,200})\s*<\/groupId>\s*<artifactId>\s*([\w.-]{1,200})\s*<\/artifactId>/g,
    /["']([\w.-]{1,200}):([\w.-]{1,200})(?::[^"'\n]{0,100})?["']/g,
    /"([\w.-]{1,200})"\s*%%?\s*"([\w.-]{1,200})"/g,
  ];
  for (const pattern of patterns)
    for (const m of build.matchAll(pattern)) found.push({ group: m[1] as string, artifact: m[2] as string });
  return found;
}

/**
 * How likely a dependency holds a package's classes, 0 for not at all: its group shares the
 * package's first three segments (com.fasterxml.jackson.core for com.fasterxml.jackson.databind),
 * or is a shorter prefix of it and its artifact names a word of the rest (com.amazonaws's
 * aws-lambda-java-events for com.amazonaws.services.lambda.runtime.events); each word of the
 * package its artifact names counts more.
 */
function provides({ group, artifact }: JvmDependency, pkg: readonly string[]): number {
  const segments = group.split('.');
  const shared = segments.findIndex((segment, i) => segment !== pkg[i]);
  const common = shared === -1 ? segments.length : shared;
  const rest = new Set(pkg.slice(Math.min(common, 2)).map((word) => word.toLowerCase()));
  const named = artifact
    .toLowerCase()
    .split(/[-_.]/)
    .filter((word) => word.length >= 4 && rest.has(word)).length;
  const isGroupOfPackage = common >= 2 && common === segments.length;
  if (common >= 3 || (isGroupOfPackage && (named > 0 || common === pkg.length))) return named * 10 + common;
  return 0;
}

/** The public methods a Java, Kotlin or Scala source declares, as far as its text says plainly. */
function jvmPublicMethods(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(
    /\bpublic\s+(?:(?:static|final|synchronized|abstract|default)\s+)*(?:<[^>\n]{1,200}>\s+)?[\w.<>[\],? ]{1,200}?\s+([\w$]{1,200})\s*\(/g,
  ))
    names.add(m[1] as string);
  // Kotlin and Scala: public unless said otherwise
  for (const m of source.matchAll(/^\s*(?:override\s+)?(?:fun|def)\s+([\w$]{1,200})\s*[([]/gm))
    names.add(m[1] as string);
  return [...names];
}
