import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SESClient, type SESClientConfig } from '@aws-sdk/client-ses';
import { z } from 'zod';

// aws-ses-v2-local is CommonJS (`exports.default = server`): require it rather than trust ESM interop.
type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;
const { default: startSes } = createRequire(import.meta.url)('aws-ses-v2-local') as { default: StartSes };

/** Obviously fake: aws-ses-v2-local only checks that some AWS signature is present. */
const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIDTESTFAKE',
  secretAccessKey: 'fake-secret-for-local-stand-ins',
};

// The shape of `GET /store` (aws-ses-v2-local's dist/store.d.ts), parsed so a version change fails loudly.
const StoredEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  replyTo: z.array(z.string()),
  destination: z.object({ to: z.array(z.string()), cc: z.array(z.string()), bcc: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  at: z.number(),
});
export type StoredEmail = z.infer<typeof StoredEmailSchema>;
const StoreSchema = z.object({ emails: z.array(StoredEmailSchema) });

export interface SesServer {
  endpoint: string;
  makeClient(config?: SESClientConfig): SESClient;
  /** every email the server accepted since the last `clear()` */
  emails(): Promise<StoredEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local on 127.0.0.1 and a random port. Its mail store is module-global:
 * servers in one test file share it, so call `clear()` between tests.
 */
export async function startSesServer(): Promise<SesServer> {
  const server = await startSes({ host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    makeClient: (config = {}) =>
      new SESClient({ endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, ...config }),
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      if (!response.ok) throw new Error(`GET /store answered ${response.status}`);
      return StoreSchema.parse(await response.json()).emails;
    },
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
      if (!response.ok) throw new Error(`POST /clear-store answered ${response.status}`);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
