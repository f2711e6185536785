import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A scripted stand-in for the Anthropic Messages API (POST /v1/messages) on 127.0.0.1,
 * good enough for the real @anthropic-ai/sdk client. Each request consumes the next
 * step of the script; every request body is recorded (raw bytes and parsed JSON) so
 * tests can assert on exactly what left the process. Response and error bodies follow
 * the real API's shapes and status codes; no streaming.
 */

export type StandInContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export type StandInStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

export interface StandInUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export type StandInStep =
  | {
      kind: 'message';
      content: StandInContentBlock[];
      /** defaults to `tool_use` when the content holds a tool_use block, else `end_turn` */
      stopReason?: StandInStopReason;
      usage?: Partial<StandInUsage>;
      /** answer only after this long: longer than the client's timeout makes it time out */
      delayMs?: number;
      /** send the headers and half the body, then stall this long before the rest */
      stallBodyMs?: number;
    }
  | {
      kind: 'error';
      status: number;
      /** the API's error type, e.g. rate_limit_error, overloaded_error, api_error */
      errorType: string;
      message?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  /** the parsed body, or undefined when it was not JSON */
  json: unknown;
}

export interface AnthropicStandIn {
  /** base URL for the SDK's `baseURL` option */
  readonly url: string;
  /** every request received, in order, including ones the client gave up on */
  readonly requests: RecordedRequest[];
  /** steps not yet played */
  remaining(): number;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Model ids `GET /v1/models` knows unless the test passes its own `models`. */
export const STAND_IN_MODELS = [
  'claude-sonnet-4-6',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-4-5',
];

/**
 * Start the stand-in on a random port; it plays `script`, then answers 400 to anything more.
 * The free Models API (GET /v1/models, GET /v1/models/{id}) answers from `models` without using
 * the script; `apiKeys`, when given, is the only keys accepted (401 otherwise) on every route.
 */
export async function startAnthropicStandIn(options: {
  script: StandInStep[];
  models?: readonly string[];
  apiKeys?: readonly string[];
}): Promise<AnthropicStandIn> {
  const script = [...options.script];
  const models = options.models ?? STAND_IN_MODELS;
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const json = parseJson(raw);
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      requests.push({ method: req.method ?? '', path, headers: req.headers, raw, json });
      // the SDK sends the key as `x-api-key` or as `Authorization: Bearer <key>`, by version
      const key = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (options.apiKeys && !(typeof key === 'string' && options.apiKeys.includes(key))) {
        sendError({ res, status: 401, message: 'invalid x-api-key' });
        return;
      }
      if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
        serveModels({ res, path, models });
        return;
      }
      handle({ req, res, path, json, script });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('stand-in did not bind a TCP port');
  const { port } = address;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    remaining: () => script.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function handle(options: {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  json: unknown;
  script: StandInStep[];
}): void {
  const { req, res, path, json, script } = options;
  if (req.method !== 'POST' || path !== '/v1/messages') {
    sendError({ res, status: 404, message: `${req.method} ${path} is not served by the stand-in` });
    return;
  }
  if (typeof req.headers['x-api-key'] !== 'string' && typeof req.headers.authorization !== 'string') {
    sendError({ res, status: 401, message: 'x-api-key header is required' });
    return;
  }
  // The API's JSON parser (serde_json) refuses a lone surrogate escape, as JSON.stringify writes
  // half an emoji: 400, in the API's words.
  if (hasLoneSurrogate(json)) {
    sendError({
      res,
      status: 400,
      message: 'The request body is not valid JSON: no low surrogate in string',
    });
    return;
  }
  const invalid = validateRequest(json);
  if (invalid !== undefined) {
    sendError({ res, status: 400, message: invalid });
    return;
  }

  const step = script.shift();
  if (step === undefined) {
    // Do not let the SDK retry a script mistake into a slow, confusing failure.
    sendError({
      res,
      status: 400,
      message: 'stand-in script exhausted: the test did not expect this request',
      headers: { 'x-should-retry': 'false' },
    });
    return;
  }
  const play = () => {
    if (res.destroyed) return;
    if (step.kind === 'error') {
      sendError({
        res,
        status: step.status,
        type: step.errorType,
        message: step.message,
        headers: step.headers,
      });
      return;
    }
    const body = messageBody({ step, model: modelOf(json) });
    if (step.stallBodyMs !== undefined) {
      const text = JSON.stringify(body);
      const half = Math.floor(text.length / 2);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.write(text.slice(0, half));
      const rest = setTimeout(() => res.end(text.slice(half)), step.stallBodyMs);
      res.on('close', () => clearTimeout(rest));
      return;
    }
    sendJson({ res, status: 200, body });
  };
  if (step.delayMs === undefined) {
    play();
    return;
  }
  const timer = setTimeout(play, step.delayMs);
  // The client gave up (its timeout): forget the answer instead of writing to a dead socket.
  res.on('close', () => clearTimeout(timer));
}

/** The Models API's shapes (docs.anthropic.com/en/api/models); no key check beyond `apiKeys`. */
function serveModels(options: { res: ServerResponse; path: string; models: readonly string[] }): void {
  const { res, path, models } = options;
  const info = (id: string) => ({
    type: 'model',
    id,
    display_name: id.replace(/^claude-/, 'Claude ').replace(/-/g, ' '),
    created_at: '2025-01-01T00:00:00Z',
  });
  if (path === '/v1/models') {
    sendJson({
      res,
      status: 200,
      body: {
        data: models.map(info),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      },
    });
    return;
  }
  const id = decodeURIComponent(path.slice('/v1/models/'.length));
  if (!models.includes(id)) {
    sendError({ res, status: 404, message: `model: ${id}` });
    return;
  }
  sendJson({ res, status: 200, body: info(id) });
}

function messageBody(options: { step: Extract<StandInStep, { kind: 'message' }>; model: string }) {
  const { step, model } = options;
  const hasToolUse = step.content.some((block) => block.type === 'tool_use');
  return {
    id: `msg_${randomBytes(12).toString('hex')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: step.content,
    stop_reason: step.stopReason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: step.usage?.input_tokens ?? 100,
      output_tokens: step.usage?.output_tokens ?? 50,
      cache_creation_input_tokens: step.usage?.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: step.usage?.cache_read_input_tokens ?? 0,
      service_tier: 'standard',
    },
  };
}

/**
 * The checks of the real API that a tool-loop client most easily gets wrong, answered
 * with the real API's 400 so a client bug fails the test the way production would.
 */
function validateRequest(json: unknown): string | undefined {
  if (!isRecord(json)) return 'request body must be a JSON object';
  if (typeof json.model !== 'string') return 'model: Field required';
  if (typeof json.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(json.messages) || json.messages.length === 0) return 'messages: Field required';
  let breakpoints = countCacheControl(json.system) + countCacheControl(json.tools);
  const messages: unknown[] = json.messages;
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return `messages.${index}: role must be "user" or "assistant"`;
    }
    breakpoints += countCacheControl(message.content);
    const ids = toolUseIds(message);
    if (ids.length === 0) continue;
    const next = messages[index + 1];
    const results = isRecord(next) && next.role === 'user' ? leadingToolResultIds(next.content) : [];
    const missing = ids.filter((id) => !results.includes(id));
    if (next !== undefined && missing.length > 0) {
      return `messages.${index + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  if (breakpoints > 4)
    return `A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.`;
  return undefined;
}

function toolUseIds(message: Record<string, unknown>): string[] {
  if (message.role !== 'assistant' || !Array.isArray(message.content)) return [];
  return message.content.flatMap((block: unknown) =>
    isRecord(block) && block.type === 'tool_use' && typeof block.id === 'string' ? [block.id] : [],
  );
}

function leadingToolResultIds(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  const ids: string[] = [];
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') break;
    ids.push(block.tool_use_id);
  }
  return ids;
}

function countCacheControl(value: unknown): number {
  if (!Array.isArray(value)) return 0;
  return value.filter((block) => isRecord(block) && block.cache_control != null).length;
}

function modelOf(json: unknown): string {
  return isRecord(json) && typeof json.model === 'string' ? json.model : 'unknown';
}

function sendError(options: {
  res: ServerResponse;
  status: number;
  type?: string | undefined;
  message?: string | undefined;
  headers?: Record<string, string> | undefined;
}): void {
  const { res, status } = options;
  const type = options.type ?? ERROR_TYPES[status] ?? 'api_error';
  sendJson({
    res,
    status,
    headers: options.headers,
    body: {
      type: 'error',
      error: { type, message: options.message ?? `stand-in ${type}` },
      request_id: `req_${randomBytes(12).toString('hex')}`,
    },
  });
}

function sendJson(options: {
  res: ServerResponse;
  status: number;
  body: unknown;
  headers?: Record<string, string> | undefined;
}): void {
  const text = JSON.stringify(options.body);
  options.res.writeHead(options.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': `req_${randomBytes(12).toString('hex')}`,
    ...options.headers,
  });
  options.res.end(text);
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return isRecord(value) && Object.values(value).some(hasLoneSurrogate);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builders for script steps, so tests read like the conversation they play. */
export const step = {
  text(text: string, extra: Partial<Extract<StandInStep, { kind: 'message' }>> = {}): StandInStep {
    return { kind: 'message', content: [{ type: 'text', text }], ...extra };
  },
  toolUse(
    calls: Array<{ id: string; name: string; input: unknown }>,
    extra: Partial<Extract<StandInStep, { kind: 'message' }>> & { text?: string } = {},
  ): StandInStep {
    const { text, ...rest } = extra;
    const content: StandInContentBlock[] = [
      ...(text === undefined ? [] : [{ type: 'text' as const, text }]),
      ...calls.map((call) => ({ type: 'tool_use' as const, ...call })),
    ];
    return { kind: 'message', content, ...rest };
  },
  /** 429 with the API's retry-after (seconds) and the SDK-honoured retry-after-ms, kept tiny for fast tests */
  rateLimited(retryAfterMs = 1): StandInStep {
    return {
      kind: 'error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your per-minute rate limit',
      headers: { 'retry-after': '0', 'retry-after-ms': String(retryAfterMs) },
    };
  },
  overloaded(retryAfterMs = 1): StandInStep {
    return {
      kind: 'error',
      status: 529,
      errorType: 'overloaded_error',
      message: 'Overloaded',
      headers: { 'retry-after-ms': String(retryAfterMs) },
    };
  },
  serverError(retryAfterMs = 1): StandInStep {
    return {
      kind: 'error',
      status: 500,
      errorType: 'api_error',
      message: 'Internal server error',
      headers: { 'retry-after-ms': String(retryAfterMs) },
    };
  },
};
