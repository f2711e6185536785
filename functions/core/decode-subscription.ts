import type { LogEvent } from './contracts.ts';

export type DecodedSubscription =
  | { kind: 'control' }
  | {
      kind: 'data';
      logGroup: string;
      logStream: string;
      owner: string;
      subscriptionFilters: string[];
      events: LogEvent[];
    };

/** Placeholder: decodes `{ awslogs: { data } }`. */
export function decodeSubscriptionEvent(_event: unknown): DecodedSubscription {
  throw new Error('not implemented yet');
}
