// A TCP endpoint on 127.0.0.1 that accepts connections and never answers on the first
// `stallFirst` of them (reads the request, sends nothing, keeps the socket open: what a dead
// keep-alive connection or a hung endpoint looks like to a client), then pipes later connections
// to `target` when one is given. Faults injected from outside the code under test, on the wire.
import { createConnection, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  endpoint: string;
  /** connections accepted so far */
  connections: () => number;
  /** connections held silent so far */
  stalled: () => number;
  close: () => Promise<void>;
}

export async function startStallingProxy({
  target,
  stallFirst = Number.POSITIVE_INFINITY,
}: {
  /** the port later connections are piped to; none: every connection stalls */
  target?: number;
  stallFirst?: number;
}): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let stalled = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    connections += 1;
    if (target === undefined || stalled < stallFirst) {
      stalled += 1;
      socket.resume();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    stalled: () => stalled,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
