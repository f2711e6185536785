/**
 * A value whose every string is well-formed UTF-16: a lone surrogate — half of an emoji, left where
 * a cut fell between the two halves (a log line capped at 8,192 characters, a sample cut to fit) —
 * becomes U+FFFD. JSON.stringify writes a lone surrogate as an escape that strict parsers refuse
 * (the Anthropic API answers 400 "no low surrogate in string"), and SES's query encoding throws on
 * it. Strings, arrays and plain objects are walked; anything else is left as it is, and a value
 * with nothing to mend comes back as the same object.
 */
export function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return (value.isWellFormed() ? value : value.toWellFormed()) as T;
  if (Array.isArray(value)) {
    const items = value.map(wellFormed);
    return (items.every((item, i) => item === value[i]) ? value : items) as T;
  }
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let mended: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = wellFormed(item);
    if (next === item) continue;
    mended ??= { ...(value as Record<string, unknown>) };
    mended[key] = next;
  }
  return (mended ?? value) as T;
}
