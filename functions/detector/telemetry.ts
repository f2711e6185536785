// The detector's structured logs and EMF metrics, written directly instead of through Powertools
// Logger and Metrics: importing those two cost the detector ~4% of its cold start
// (test/bench/cold-start.bench.ts), and it uses a small part of them. The lines keep Powertools'
// shape field for field (test/unit/detector-telemetry.test.ts compares them with Powertools'
// own output), so log queries and the metric filters work on either. The analyzer and the
// webhook still use Powertools.

/** The detector's metric names (EMF, one namespace per deployment). */
export type DetectorMetricName =
  | 'ErrorsSeen'
  | 'IncidentsNew'
  | 'IncidentsRepeated'
  | 'JobsEnqueued'
  | 'PayloadsRejected'
  | 'ContextFetches'
  | 'ErrorsUnrouted';

/** A minimal structured logger: what the detector logs through, and what tests fake. */
export interface DetectorLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  /** a logger whose every line also carries `keys` (the incident key, for one) */
  withKeys(keys: Record<string, string>): DetectorLogger;
}

export interface DetectorMetrics {
  count(name: DetectorMetricName, value: number): void;
  /** write the stored metrics out (one EMF line) */
  publish(): void;
}

/** The fields of the Lambda context a log line carries (a subset of aws-lambda's `Context`). */
export interface InvocationContext {
  invokedFunctionArn: string;
  awsRequestId: string;
  memoryLimitInMB: string;
  functionName: string;
  tenantId?: string;
}

/** Where lines go: standard output for info and metrics, standard error for warnings and errors. */
export interface TelemetryOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: TelemetryOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof LEVELS;

/** Keys a line's own fields own; an attribute of the same name is dropped, as Powertools does. */
const RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/**
 * The threshold Powertools would use: POWERTOOLS_LOG_LEVEL (or LOG_LEVEL), else INFO, raised to
 * the function's own log level (AWS_LAMBDA_LOG_LEVEL) where that is stricter.
 */
export function logLevelFrom(env: Readonly<Record<string, string | undefined>>): number {
  const named = (value: string | undefined): number | undefined => {
    const name = value?.trim().toUpperCase();
    if (name === 'TRACE') return LEVELS.DEBUG;
    if (name === 'FATAL') return LEVELS.CRITICAL;
    return name !== undefined && name in LEVELS ? LEVELS[name as LevelName] : undefined;
  };
  const level = named(env.POWERTOOLS_LOG_LEVEL) ?? named(env.LOG_LEVEL) ?? LEVELS.INFO;
  return Math.max(level, named(env.AWS_LAMBDA_LOG_LEVEL) ?? 0);
}

/** The X-Ray trace root of the current invocation, as Powertools reads it. */
function xrayTraceId(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } })
    .awslambda?.InvokeStore;
  const header = store?.getXRayTraceId() ?? env._X_AMZN_TRACE_ID ?? '';
  if (header === '') return undefined;
  if (!header.includes('=')) return header;
  for (const field of header.split(';')) {
    const [key, value] = field.split('=');
    if (key?.trim() === 'Root') return value?.trim();
  }
  return undefined;
}

/** Errors as Powertools prints them; bigints as strings; a circular reference left out. */
function jsonReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key, value) {
    const replaced = value instanceof Error ? formatError(value) : value;
    if (typeof replaced === 'bigint') return replaced.toString();
    if (typeof replaced === 'object' && replaced !== null) {
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(replaced)) return undefined;
      ancestors.push(replaced);
    }
    return replaced;
  };
}

function formatError(error: Error): Record<string, unknown> {
  const { name, message, stack, cause, ...rest } = error as Error & Record<string, unknown>;
  const location = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/m.exec(stack ?? '');
  return {
    name,
    location: location ? `${location[1]}:${Number(location[2])}` : '',
    message,
    stack,
    cause: cause instanceof Error ? formatError(cause) : cause,
    ...rest,
  };
}

const isPrinted = (value: unknown) => value !== undefined && value !== null && value !== '';

/** A JSON-lines logger with Powertools' fields, and the hook that adds the invocation's context. */
export function makeJsonLogger({
  serviceName,
  env = process.env,
  output = processOutput,
  now = () => new Date(),
}: {
  serviceName: string;
  env?: Readonly<Record<string, string | undefined>>;
  output?: TelemetryOutput;
  now?: () => Date;
}): { logger: DetectorLogger; addContext(context: InvocationContext): void } {
  const threshold = logLevelFrom(env);
  // Powertools' rule: only an on-demand environment has a cold start, and only its first invocation.
  let coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';
  let invocation: Record<string, unknown> = {};
  let tenantId: string | undefined;

  const write = (level: 'INFO' | 'WARN' | 'ERROR', message: string, attributes: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const line: Record<string, unknown> = {
      level,
      message,
      timestamp: now().toISOString(),
      service: serviceName,
      ...invocation,
      sampling_rate: 0,
      xray_trace_id: xrayTraceId(env),
      tenant_id: tenantId,
    };
    for (const [key, value] of Object.entries(attributes)) {
      if (!RESERVED.has(key)) line[key] = value;
    }
    for (const key of Object.keys(line)) if (!isPrinted(line[key])) delete line[key];
    const json = JSON.stringify(line, jsonReplacer());
    if (level === 'INFO') output.out(json);
    else output.err(json);
  };

  const loggerWith = (keys: Record<string, unknown>): DetectorLogger => ({
    info: (message, attributes = {}) => write('INFO', message, { ...keys, ...attributes }),
    warn: (message, attributes = {}) => write('WARN', message, { ...keys, ...attributes }),
    error: (message, attributes = {}) => write('ERROR', message, { ...keys, ...attributes }),
    withKeys: (more) => loggerWith({ ...keys, ...more }),
  });

  return {
    logger: loggerWith({}),
    addContext: (context) => {
      invocation = {
        cold_start: coldStart,
        function_arn: context.invokedFunctionArn,
        function_memory_size: context.memoryLimitInMB,
        function_name: context.functionName,
        function_request_id: context.awsRequestId,
      };
      tenantId = context.tenantId;
      coldStart = false;
    },
  };
}

/**
 * CloudWatch embedded metric format: counts stored per invocation and written as one line with
 * the `service` dimension, a name counted twice as a list of values (as Powertools writes them).
 */
export function makeEmfMetrics({
  serviceName,
  namespace,
  output = processOutput,
  now = Date.now,
}: {
  serviceName: string;
  namespace: string;
  output?: TelemetryOutput;
  now?: () => number;
}): DetectorMetrics {
  let stored = new Map<DetectorMetricName, number[]>();
  return {
    count: (name, value) => {
      const values = stored.get(name);
      if (values) values.push(value);
      else stored.set(name, [value]);
    },
    publish: () => {
      // A CONTROL_MESSAGE counts nothing; an EMF line without metrics would only be noise.
      if (stored.size === 0) return;
      const names = [...stored.keys()];
      const line: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [['service']],
              Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
            },
          ],
        },
        service: serviceName,
      };
      for (const [name, values] of stored) line[name] = values.length === 1 ? values[0] : values;
      stored = new Map();
      output.out(JSON.stringify(line));
    },
  };
}

/** Both, configured from the detector's settings. */
export function makeDetectorTelemetry({
  serviceName,
  namespace,
  env = process.env,
  output = processOutput,
}: {
  serviceName: string;
  namespace: string;
  env?: Readonly<Record<string, string | undefined>>;
  output?: TelemetryOutput;
}): { logger: DetectorLogger; metrics: DetectorMetrics; addContext(context: InvocationContext): void } {
  const { logger, addContext } = makeJsonLogger({ serviceName, env, output });
  return { logger, metrics: makeEmfMetrics({ serviceName, namespace, output }), addContext };
}
