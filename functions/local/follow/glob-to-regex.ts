/** True when `pattern` holds a wildcard (`*`, `?`, `[...]` or `{a,b}`). */
export function hasGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/**
 * A file-name glob as an anchored RegExp: `*` and `?` never cross `/`, `[abc]`/`[!abc]` classes,
 * `{a,b}` alternatives. Enough for `app-*.log` or `{api,worker}.log`; node 20 has no fs.glob and
 * chokidar 4 dropped globs, so the follower matches directory entries itself.
 */
export function globToRegex(glob: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replaceAll('\\', '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
