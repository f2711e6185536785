/**
 * Function-name normalisation for fingerprints: compilers number their generated closures,
 * lambdas and state machines, and those numbers move when unrelated code changes.
 */

const MAX_FUNCTION_LENGTH = 512;

const REPLACEMENTS: readonly (readonly [RegExp, string])[] = [
  // Java: Foo$$Lambda$123/0x0000000800c0c040.apply, Foo$$Lambda/0x…
  [/\$\$Lambda(?:\$\d{1,10})?(?:\/(?:0x)?[0-9a-fA-F]{1,20})?/g, '$$$$Lambda'],
  // Java/Kotlin anonymous classes and lambdas: Foo$1, lambda$main$0, $lambda-2
  [/\$\d{1,10}/g, '$$'],
  [/\$lambda-\d{1,10}/g, '$$lambda'],
  // Go closures and wrappers: main.main.func1.2, pkg.func·002, gowrap1, deferwrap2
  [/\.func\d{1,10}(?:\.\d{1,10}){0,10}/g, '.func'],
  [/func\u00b7\d{1,10}/g, 'func·'], // `\u00b7` is `·` (regex literals are bundled as written: kept ASCII)
  [/\.(gowrap|deferwrap)\d{1,10}/g, '.$1'],
  // .NET compiler-generated: <Main>d__4, <Run>b__0_1, <>c__DisplayClass5_0, <Main>g__Local|0_0
  [/>d__\d{1,10}/g, '>d__'],
  [/>b__\d{1,10}(?:_\d{1,10})?/g, '>b__'],
  [/c__DisplayClass\d{1,10}(?:_\d{1,10})?/g, 'c__DisplayClass'],
  [/(>g__\w{1,200})\|\d{1,10}_\d{1,10}/g, '$1'],
  // Rust symbol hashes: foo::bar::h0123456789abcdef
  [/::h[0-9a-f]{16}\b/g, ''],
  // Ruby nesting depth: block (2 levels) in foo
  [/block \(\d{1,5} levels\) in/g, 'block in'],
  // Anything that is still an address.
  [/0x[0-9a-fA-F]{1,20}/g, ''],
];

// PHP 8.4 names a closure by where it was declared, one level per enclosing closure:
// {closure:/app/x.php:12}, Shop\Cart->{closure:Shop\Cart::total():10}, {closure:{closure:…:16}:17}.
// PHP before 8.4 printed {closure} prefixed with the namespace it was declared in (Shop\Cart->
// Shop\{closure}, Laravel's Pipeline->Illuminate\Pipeline\{closure}): each pass folds the innermost
// names to that form, the namespace read off the declaring method or function, so one bug keeps
// its fingerprint across the upgrade. (A closure declared in a file's body names only the file:
// its namespace is not printed.)
const PHP_CLOSURE = /\{closure:((?:[^{}]|\{closure\}){0,300})\}/g;
const CLOSURE_DECLARED_IN =
  /^((?:[A-Za-z_][\w]{0,100}\\){0,20})(?:[A-Za-z_]\w{0,100}(?:::[A-Za-z_]\w{0,100})?\(\)|\{closure\}):\d{1,9}$/;
const MAX_CLOSURE_DEPTH = 16;
const foldClosure = (_name: string, declaredIn: string): string =>
  `${CLOSURE_DECLARED_IN.exec(declaredIn)?.[1] ?? ''}{closure}`;

/** The function name with generated numbering, symbol hashes and addresses removed. */
export function normalizeFunctionName(name: string): string {
  let text = name.length > MAX_FUNCTION_LENGTH ? name.slice(0, MAX_FUNCTION_LENGTH) : name;
  for (let depth = 0; depth < MAX_CLOSURE_DEPTH && text.includes('{closure:'); depth += 1) {
    const folded = text.replace(PHP_CLOSURE, foldClosure);
    if (folded === text) break;
    text = folded;
  }
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement);
  return text.trim();
}
