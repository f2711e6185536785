import { hasHiddenCharacter } from '../text/redact.ts';

/**
 * What an edit's new lines do, judged in code: a fix for a runtime error needs none of these,
 * and each is what a prompt-injected model would add to reach CI secrets or the network the
 * moment the branch is pushed (CI runs on the push, before any human looks).
 */

export type AddedCodeConcern =
  | 'hidden_character'
  | 'new_import'
  | 'process_execution'
  | 'network_call'
  | 'dynamic_code'
  | 'new_host'
  | 'encoded_blob';

export interface AddedCodeFinding {
  concern: AddedCodeConcern;
  /** the added line (cut to 160 characters, hidden characters shown as <U+XXXX>) */
  line: string;
  /** what matched, for the model's one retry */
  detail: string;
}

type Family =
  | 'python'
  | 'javascript'
  | 'jvm'
  | 'clojure'
  | 'go'
  | 'ruby'
  | 'php'
  | 'dotnet'
  | 'rust'
  | 'elixir';
type Checks = Partial<
  Record<Exclude<AddedCodeConcern, 'hidden_character' | 'new_host' | 'encoded_blob'>, RegExp>
>;

const FAMILY_BY_EXTENSION: Readonly<Record<string, Family>> = {
  py: 'python',
  pyw: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'javascript',
  tsx: 'javascript',
  mts: 'javascript',
  cts: 'javascript',
  vue: 'javascript',
  svelte: 'javascript',
  java: 'jvm',
  kt: 'jvm',
  scala: 'jvm',
  groovy: 'jvm',
  clj: 'clojure',
  cljc: 'clojure',
  go: 'go',
  rb: 'ruby',
  erb: 'ruby',
  rake: 'ruby',
  php: 'php',
  cs: 'dotnet',
  fs: 'dotnet',
  vb: 'dotnet',
  rs: 'rust',
  ex: 'elixir',
  exs: 'elixir',
  // Templates compile into the view module: their `<%= %>` is Elixir that runs when a test renders.
  eex: 'elixir',
  heex: 'elixir',
  leex: 'elixir',
};

const CHECKS: Readonly<Record<Family, Checks>> = {
  python: {
    new_import: /^\s*(?:import\s+[\w.]|from\s+[\w.]+\s+import\b)|\b__import__\s*\(|\bimportlib\b/,
    process_execution:
      /\bos\.(?:system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork\w*)\b|\bsubprocess\b|\bPopen\b|\bpty\.spawn\b|\bcommands\.get/,
    // Modules at the start of a name (`requests.post`), not attributes (`self.requests.append`).
    network_call:
      /(?<![\w.])(?:requests|httpx|aiohttp|urllib\d?|urlopen|http\.client|socket|smtplib|ftplib|telnetlib|paramiko|websockets?)\s*\./,
    // The builtins, not methods of the same name (`re.compile`, `cursor.execute`).
    dynamic_code:
      /(?<![\w.])(?:eval|exec|execfile|compile)\s*\(|\bbuiltins\b|\b(?:pickle|marshal|dill|shelve)\.loads?\b|\byaml\.(?:load|unsafe_load)\s*\(|\b__builtins__\b|\bglobals\s*\(\s*\)\s*\[/,
  },
  javascript: {
    new_import: /^\s*import\b|\bimport\s*\(|\brequire\s*\(|^\s*export\s[^;]*\bfrom\s*['"]/,
    process_execution:
      /\bchild_process\b|(?<![\w.$])(?:exec|fork)\s*\(|\b(?:execSync|execFile|execFileSync|spawn|spawnSync)\s*\(|\bprocess\.(?:binding|dlopen)\b|\bDeno\.(?:run|Command)\b|\bBun\.spawn/,
    network_call:
      /(?<![\w.$])fetch\s*\(|\b(?:globalThis|window|self)\.fetch\b|\b(?:https?|http2|net|tls|dgram|dns)\.(?:request|get|connect|createConnection|Socket|lookup)\b|\baxios\b|\bXMLHttpRequest\b|\bWebSocket\b|\bsendBeacon\b|\bEventSource\b|\bnew\s+Image\s*\(/,
    dynamic_code:
      /\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*['"`]|\bvm\.(?:run\w*|Script|compileFunction)\b|\bset(?:Timeout|Interval)\s*\(\s*['"`]|\bprocess\.mainModule\b|\bmodule\.constructor\b/,
  },
  jvm: {
    new_import: /^\s*import\s+[\w.]/,
    process_execution: /\bRuntime\.getRuntime\s*\(|\bProcessBuilder\b|\.exec\s*\(/,
    network_call:
      /\bnew\s+(?:java\.net\.)?(?:URL|Socket|ServerSocket|DatagramSocket)\s*\(|\bHttp(?:URL)?Client\b|\bHttpURLConnection\b|\bURLConnection\b|\bOkHttpClient\b|\bRestTemplate\b|\bWebClient\b|\bURI\.create\s*\(|\bopenConnection\s*\(|\bopenStream\s*\(/,
    dynamic_code:
      /\bScriptEngine\w*|\bClass\.forName\s*\(|\bdefineClass\b|\bURLClassLoader\b|\bMethodHandles\b|\.getDeclaredMethod\s*\(|\.getMethod\s*\(|\bObjectInputStream\b|\bGroovyShell\b|\bInitialContext\b/,
  },
  // A form's head (`(sh "id")`, `(eval …)`), a namespace's require list one libspec a line
  // (`[clj-http.client :as http]`), Java interop (`(ProcessBuilder. …)`, `Runtime/getRuntime`).
  clojure: {
    new_import:
      /\(\s*:?(?:require|import|use|load-file|load)(?![\w*+!?<>=-])|^\s*\[[A-Za-z][\w.-]*\s+:(?:as|refer|as-alias)(?![\w-])|\(\s*(?:add-libs|add-lib|sync-deps)(?![\w-])/,
    process_execution:
      /\bclojure\.java\.shell\b|\(\s*(?:[\w.-]+\/)?sh\s|\bProcessBuilder\b|\bRuntime\/getRuntime\b|\(\s*\.exec\s|\bbabashka\.process\b|\(\s*(?:p|process)\/(?:process|shell|exec)\b/,
    network_call:
      /\bclj-http\b|\(\s*(?:http|client|hc)\/(?:get|post|put|patch|delete|head|request)\b|\bjava\.net\.(?:URL|URI|Socket|HttpURLConnection)\b|\(\s*(?:URL|Socket|ServerSocket)\.\s|\bHttpClient\b|\borg\.httpkit\b|\bhato\.client\b|\baleph\.http\b/,
    dynamic_code:
      /\(\s*(?:clojure\.core\/)?(?:eval|load-string|load-reader|read-string|resolve|ns-resolve|requiring-resolve|intern|compile)\s|\bCompiler\/load\b|\bClass\/forName\b|\bclojure\.lang\.RT\/var\b|\*read-eval\*/,
  },
  go: {
    new_import: /^\s*import\b|^\s*(?:[\w.]+\s+)?"[\w./-]+"\s*$/,
    process_execution:
      /\bexec\.Command(?:Context)?\s*\(|\bsyscall\.(?:Exec|ForkExec|StartProcess)\b|\bos\.StartProcess\b/,
    network_call:
      /\bhttp\.(?:Get|Post|PostForm|Head|NewRequest\w*|DefaultClient|Client)\b|\bnet\.(?:Dial\w*|Listen\w*|LookupHost)\b|\bgrpc\.(?:Dial|NewClient)\b|\bsmtp\.\w+/,
    dynamic_code: /\bplugin\.Open\b|\bunsafe\.\w+|\breflect\.\w+\(.*\)\.Call\b/,
  },
  ruby: {
    new_import: /^\s*(?:require|require_relative|load|autoload)\b|^\s*gem\s+['"]/,
    process_execution:
      /(?:^|[^\w.:])(?:system|exec|spawn|syscall|fork)(?:\s*\(|\s+['"%[`])|`[^`]*`|%x[\s({[<|!]|\bIO\.popen\b|\bOpen3\b|\bPTY\.spawn\b|\bKernel\.(?:system|exec|spawn|open)\b/,
    network_call:
      /\bNet::(?:HTTP|FTP|SMTP)\b|\bopen-uri\b|\bURI\.open\b|\bFaraday\b|\bHTTParty\b|\bRestClient\b|\b(?:TCP|UDP)Socket\b|\bSocket\.new\b|\bExcon\b|\bTyphoeus\b/,
    dynamic_code:
      /\b(?:eval|instance_eval|class_eval|module_eval|instance_exec|class_exec)\b|\b(?:send|public_send|__send__)\s*\(|\.constantize\b|\bMarshal\.load\b|\bYAML\.(?:load|unsafe_load)\b|\bconst_get\b|\bdefine_method\b/,
  },
  php: {
    new_import: /^\s*use\s+[\w\\]+|\b(?:require|require_once|include|include_once)\b/,
    process_execution: /\b(?:exec|shell_exec|system|passthru|proc_open|popen|pcntl_exec)\s*\(|`[^`]*`/,
    network_call:
      /\bcurl_\w+\s*\(|\bfsockopen\s*\(|\bstream_socket_client\s*\(|\b(?:file_get_contents|fopen)\s*\(\s*['"]?[a-z]+:\/\/|\bGuzzle\w*|\bSoapClient\b|\bmail\s*\(/i,
    dynamic_code:
      /\b(?:eval|assert|create_function|unserialize|call_user_func(?:_array)?)\s*\(|\bpreg_replace\s*\(\s*['"](.).*\1[a-z]*e[a-z]*['"]|\$\w+\s*\(/,
  },
  dotnet: {
    new_import:
      /^\s*using\s+(?:static\s+)?[\w.]+\s*;|^\s*global\s+using\b|^\s*open\s+[\w.]+\s*$|^\s*Imports\s+[\w.]/,
    process_execution: /\bProcess\.Start\b|\bProcessStartInfo\b|\bnew\s+Process\s*\(/,
    network_call:
      /\bHttpClient\b|\bWebClient\b|\b(?:Http)?WebRequest\b|\b(?:Tcp|Udp)Client\b|\bnew\s+Socket\s*\(|\bDns\.\w+|\bSmtpClient\b/,
    dynamic_code:
      /\bAssembly\.(?:Load\w*|UnsafeLoadFrom)\b|\bActivator\.CreateInstance\b|\bCSharpScript\b|\bType\.GetType\s*\(|\.InvokeMember\s*\(|\bBinaryFormatter\b|\bDynamicMethod\b|\bMarshal\.GetDelegateForFunctionPointer\b/,
  },
  rust: {
    new_import:
      /^\s*(?:pub(?:\([\w:]+\))?\s+)?use\s+[\w:{]|^\s*extern\s+crate\b|^\s*(?:pub\s+)?mod\s+\w+\s*;/,
    process_execution: /\bCommand::new\b|\bstd::process\b|\blibc::(?:system|exec\w*|fork)\b/,
    network_call:
      /\breqwest\b|\b(?:TcpStream|TcpListener|UdpSocket)\b|\bhyper::|\bureq\b|\bsurf::|\bToSocketAddrs\b/,
    dynamic_code: /\blibloading\b|\bdlopen\b|\bunsafe\s*\{|\bmem::transmute\b|\b(?:global_)?asm!/,
  },
  // A module's function is reached as `Mod.fun` (or `&Mod.fun/2`), as `apply(Mod, :fun, args)`,
  // or under another name from `alias Mod, as: M`: the patterns read `Mod.fun`, `Mod, :fun` and
  // `Mod, as:` alike.
  elixir: {
    // `alias` only shortens a name; `import`, `require` and `use` reach into a module, and `use`
    // runs its `__using__` macro at compile time. `require Logger` too, as `import logging` is.
    new_import: /(?:^|;)\s*(?:import|require|use)[\s(]+(?::\w+|[A-Z][\w.]*)|\bMix\.install\b/,
    process_execution:
      /\b(?:System(?:\.|\s*,\s*:)(?:cmd|shell)|Port(?:\.|\s*,\s*:)open)\b|(?<!\w):os(?:\.|\s*,\s*:)cmd\b|(?<!\w):erlang(?:\.|\s*,\s*:)open_port\b|\bspawn_executable\b|(?:\bSystem|\bPort|(?<!\w):os)\s*,\s*as:|\b(?:Porcelain|MuonTrap|Rambo)\.|\bMix\.(?:Shell|shell\(\))\.cmd\b/,
    // Calls and module values (`Req.get!`, `{Finch, name: F}`), not struct patterns
    // (`%Req.Response{status: 404}`, `%HTTPoison.Error{}`): a fix matches responses it mishandled.
    // `Req` only as a whole name (not `MyReq.`, `Api.Req.`); `:inet` only for its DNS lookups.
    // Mailers send mail, as smtplib does; distributed Erlang (`:rpc`, `Node`) reaches other hosts.
    network_call:
      /(?<![\w.%])(?:HTTPoison|HTTPotion|Tesla|Finch|Req|WebSockex|Swoosh|Bamboo)(?:\.|\s*,)|(?<![\w.%])Mint\.(?:HTTP\w*|WebSocket)|(?<!\w):(?:httpc|hackney|gen_tcp|gen_udp|gen_sctp|gen_smtp\w*|inets)\b|(?<!\w):(?:ssl|socket|gun|ftp|inet_res|e?rpc)\.|(?<!\w):inet\.(?:gethostbyname|getaddrs?|gethostbyaddr)\b|\bNode\.(?:connect|spawn\w*)\b/,
    // Evaluation, loading and deserialisation (`binary_to_term` builds funs; Plug's
    // `non_executable_binary_to_term` does not, and is left alone). A module or function named by
    // a string is how `System.cmd` is called without being written: `String.to_atom`,
    // `Module.concat`, an interpolated atom, a quoted atom no name needs (`:"Elixir.System"`,
    // `:"cmd"`; `:"404"` does). `apply/3` itself is ordinary code, so the name it is handed is
    // judged. Atoms made from input also exhaust the atom table: `String.to_existing_atom` is the fix.
    dynamic_code:
      /\b(?:Code|EEx)(?:\.|\s*,\s*:)(?:eval_\w+|compile_\w+|require_file|load_file)|\bbinary_to_term\b|\b(?:String|List)(?:\.|\s*,\s*:)to_atom\b|[.:](?:binary|list)_to_atom\b|(?<!\w):code(?:\.|\s*,\s*:)(?:load_\w+|add_path\w*)|\bModule(?:\.|\s*,\s*:)(?:create|concat|safe_concat)\b|(?<!\w):(?:erl_eval|compile)\.|(?<![^\s([{,=]):(?:"[^"\n]{0,200}"|'[^'\n]{0,200}')\.\w|(?<![^\s([{,=]):["'](?:Elixir\.|[A-Za-z_]\w{0,200}["'])|(?<![^\s([{,=]):"[^"\n]{0,200}#\{|(?:\b(?:Code|Module)|(?<!\w):(?:code|erlang))\s*,\s*as:/,
  },
};

// Shell text inside any language's strings: the payload of a process call assembled elsewhere.
const SHELL_TEXT =
  /\b(?:curl|wget|nc|ncat|socat|powershell|pwsh)\s+-|\|\s*(?:ba|z|da)?sh\b|\/dev\/(?:tcp|udp)\/|\bcmd(?:\.exe)?\s+\/c\b|\bchmod\s+\+x\b|\b(?:ba|z)?sh\s+-c\b/i;

// Literals, whole or in pieces, that build a URL: `"https:" + "//evil"`, `['ht', 'tps://…'].join('')`.
const STRING_LITERAL = /"((?:[^"\\\n]|\\.){0,500})"|'((?:[^'\\\n]|\\.){0,500})'|`([^`\n]{0,500})`/g;
const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s'"`<>)\]}]{1,500}/;
const URL_FRAGMENT =
  /^(?:(?:https?|wss?|ftps?|file|data|javascript|gopher|ldap|dict|sftp|ssh|s3|gs):?\/{0,2}|\/\/[\w.-]*)$/i;
const HOST_IN_TEXT =
  /(?:^|[^\w.@-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|sh|ru|cn|su|xyz|top|info|biz|dev|app|co|cc|tk|ml|ga|cf|gq|pw|ws|site|online|club|link|cloud|ai|uk|de|fr|jp|br|ly|gg|zip|mov|click|live|host|tech|store|icu|buzz|lol|onion|ngrok-free\.app|workers\.dev|pages\.dev))(?![\w.-])/i;
const IPV4_IN_TEXT =
  /(?:^|[^\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])/;

// Encoded payloads: long base64 or hex, runs of escapes, and the calls that decode them.
const ENCODED = [
  /(?<![A-Za-z0-9+/=])(?=[A-Za-z0-9+/]*[0-9])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])[A-Za-z0-9+/]{40,}={0,2}/,
  /(?<![0-9A-Fa-f])[0-9A-Fa-f]{64,}/,
  /(?:\\x[0-9A-Fa-f]{2}){6,}|(?:\\u\{?[0-9A-Fa-f]{4}\}?){6,}|(?:\\[0-7]{3}){6,}/,
  /\b(?:atob|btoa|fromCharCode|b64decode|b32decode|b85decode|a85decode|unhexlify|fromhex|decodebytes|base64_decode|hex2bin|gzinflate|str_rot13|FromBase64String|decode64|unpack1?)\b|\bBuffer\.from\s*\([^)]*['"](?:base64|hex)['"]|\bcodecs\.decode\b|\bchr\s*\(\s*\d+\s*\)\s*[+.]\s*chr\b/,
];

const MAX_JUDGED_LINE = 1000;

function familyOf(path: string): Family | undefined {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? undefined : FAMILY_BY_EXTENSION[path.slice(dot + 1).toLowerCase()];
}

function shown(line: string): string {
  const visible = line
    .trim()
    .replace(
      /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g,
      (ch) => `<U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`,
    );
  return visible.length > 160 ? `${visible.slice(0, 160)}…` : visible;
}

/** Lines of `after` that `before` does not have as often (moved and re-indented lines excluded). */
export function addedLines(before: string, after: string): string[] {
  const counts = new Map<string, number>();
  for (const line of before.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after.split('\n')) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else added.push(line);
  }
  return added;
}

/** The joined contents of a line's string literals: what concatenation would build at run time. */
function literalText(line: string): { joined: string; parts: string[] } {
  const parts: string[] = [];
  for (const match of line.matchAll(STRING_LITERAL)) parts.push(match[1] ?? match[2] ?? match[3] ?? '');
  return { joined: parts.join(''), parts };
}

/**
 * Findings for the lines an edit adds to a file. Hidden characters are refused on every added
 * line; the other concerns only on lines whose trimmed text is not already in the file (moving
 * or re-indenting existing code is fine), and hosts only when the file does not name them yet.
 */
export function checkAddedCode({
  path,
  before,
  after,
}: {
  path: string;
  /** the file's text before the edits, LF line endings */
  before: string;
  after: string;
}): AddedCodeFinding[] {
  const family = familyOf(path);
  const families = family ? [CHECKS[family]] : Object.values(CHECKS);
  const existing = new Set(before.split('\n').map((l) => l.trim()));
  const beforeLower = before.toLowerCase();
  const findings: AddedCodeFinding[] = [];
  for (const line of addedLines(before, after)) {
    const add = (concern: AddedCodeConcern, detail: string) =>
      findings.push({ concern, line: shown(line), detail });
    if (hasHiddenCharacter(line)) {
      add('hidden_character', 'a bidi control or invisible character (Trojan Source)');
      continue;
    }
    if (line.trim() === '' || existing.has(line.trim())) continue;
    // No fix for a runtime error writes a line this long; it is data, and too long to judge.
    if (line.length > MAX_JUDGED_LINE) {
      add('encoded_blob', `a line of ${line.length} characters`);
      continue;
    }
    const concerns = new Set<AddedCodeConcern>();
    for (const checks of families) {
      for (const [concern, pattern] of Object.entries(checks) as [AddedCodeConcern, RegExp][]) {
        if (concerns.has(concern)) continue;
        const match = line.match(pattern);
        if (match) {
          concerns.add(concern);
          add(concern, match[0].trim().slice(0, 60));
        }
      }
    }
    const shell = line.match(SHELL_TEXT);
    if (shell && !concerns.has('process_execution')) add('process_execution', shell[0].trim());
    const { joined, parts } = literalText(line);
    const url =
      joined.match(URL_IN_TEXT)?.[0] ??
      line.replace(/["'`]\s*(?:\+|\.\.?|,)?\s*["'`]/g, '').match(URL_IN_TEXT)?.[0];
    if (url !== undefined && !before.includes(url)) {
      add('new_host', `a URL assembled from the line's strings (${url.slice(0, 80)})`);
    } else if (parts.some((p) => URL_FRAGMENT.test(p.trim()) && p.trim() !== '')) {
      add('new_host', 'a piece of a URL (scheme or //host) in a string');
    } else {
      for (const text of [joined, ...parts]) {
        const host = text.match(HOST_IN_TEXT)?.[1] ?? text.match(IPV4_IN_TEXT)?.[1];
        if (host !== undefined && !beforeLower.includes(host.toLowerCase())) {
          add('new_host', `a host name not already in the file (${host.slice(0, 80)})`);
          break;
        }
      }
    }
    const encoded = ENCODED.map((p) => line.match(p)?.[0]).find((m) => m !== undefined);
    if (encoded !== undefined) add('encoded_blob', `encoded data or a decoder (${encoded.slice(0, 40)})`);
  }
  return findings;
}
