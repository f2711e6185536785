/** How long one AWS call may take and how often the SDK tries it. */
export interface AwsCallLimits {
  /** attempts in all, the first included (the SDK retries throttling, 5xx and timeouts) */
  maxAttempts: number;
  /** per attempt: time to the response's headers, and the longest silence while its body arrives */
  timeoutMs: number;
}

/**
 * Options for an AWS SDK v3 client in a Lambda: each attempt bounded by `timeoutMs`. The SDK's
 * own default waits up to 5 minutes (SQS 15) on a silent socket, so one stalled connection — a
 * keep-alive socket a NAT dropped, an endpoint that accepts and never answers — held the
 * invocation until the function timed out. Bounded, the attempt fails with a TimeoutError, which
 * the SDK retries on a new connection.
 */
export function awsClientOptions({ maxAttempts, timeoutMs }: AwsCallLimits) {
  return {
    maxAttempts,
    requestHandler: {
      requestTimeout: timeoutMs,
      // without it a breached requestTimeout is only logged as a warning
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    },
  };
}
