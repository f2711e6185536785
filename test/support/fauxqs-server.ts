import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { FAKE_CREDENTIALS } from './dynalite-server.ts';

export interface SqsStandIn {
  endpoint: string;
  server: FauxqsServer;
  /** a client for this server with fake credentials; `config` adds to or overrides the defaults */
  makeClient(config?: SQSClientConfig): SQSClient;
  /** creates the queue and returns its URL */
  createQueue(name: string): string;
  /** the bodies of the messages waiting in the queue, without receiving them */
  peekBodies(name: string): string[];
  stop(): Promise<void>;
}

/** Starts fauxqs (SQS over the JSON protocol the v3 SDK speaks) on 127.0.0.1 and a random port. */
export async function startSqsStandIn(): Promise<SqsStandIn> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  return {
    endpoint,
    server,
    makeClient: (config = {}) =>
      new SQSClient({ endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, ...config }),
    createQueue: (name) => server.createQueue(name).queueUrl,
    peekBodies: (name) => {
      const queue = server.inspectQueue(name);
      if (!queue) throw new Error(`no queue named ${name}`);
      const { ready, delayed, inflight } = queue.messages;
      return [...ready, ...delayed, ...inflight.map((m) => m.message)].map((m) => m.body);
    },
    stop: () => server.stop(),
  };
}
