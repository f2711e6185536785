/**
 * Wraps untrusted `data` between two `fence` lines for a prompt. The fence is random per request;
 * data that contains it anyway (guessed or replayed) is JSON-encoded with the fence escaped, so it
 * can neither close the fence nor speak outside it.
 */
export function fenceData(data: string, fence: string): string {
  const body = data.includes(fence)
    ? `(JSON-encoded because it contained the fence)\n${encodeWithoutFence(data, fence)}`
    : data;
  return `${fence}\n${body}\n${fence}`;
}

/** JSON-encodes `text` with every occurrence of `fence` escaped, so the result never contains it. */
export function encodeWithoutFence(text: string, fence: string): string {
  const json = JSON.stringify(text);
  const first = fence.charAt(0);
  const escaped = `\\u${first.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const once = json.replaceAll(fence, escaped + fence.slice(1));
  // Only a self-overlapping fence (an injected one) survives that; escaping every occurrence
  // of its first character is still valid JSON and cannot leave it intact.
  return once.includes(fence) ? once.replaceAll(first, escaped) : once;
}
