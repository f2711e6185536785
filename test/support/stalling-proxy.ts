// A TCP proxy on 127.0.0.1 in front of a stand-in that goes silent on cue: it accepts a
// connection and never answers (a dead keep-alive connection, a hung endpoint), stops passing
// the server's bytes on halfway through an answer, or passes a request on and loses its answer
// (the write happened; the client never hears so), keeping every socket open. Faults injected on
// the wire, from outside the code under test.
import { createConnection, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  endpoint: string;
  /** `host:port` of the proxy */
  host: string;
  /** connections accepted so far */
  connections: () => number;
  /** connections held silent from their start so far */
  stalled: () => number;
  /** bytes of the server's answers passed on so far */
  bytesPassed: () => number;
  /** requests passed on whose answers were lost so far */
  answersLost: () => number;
  /** from now on, nothing more of the server's answers is passed on, and new connections stall */
  silence: () => void;
  close: () => Promise<void>;
}

export async function startStallingProxy({
  target,
  stallFirst = 0,
  stallAfterBytes = Number.POSITIVE_INFINITY,
  loseAnswerTo,
}: {
  /** the port connections are piped to; none: every connection stalls */
  target?: number;
  /** connections held silent from their start before any is piped */
  stallFirst?: number;
  /** bytes of the server's answers passed on, over all connections, before the proxy goes silent */
  stallAfterBytes?: number;
  /**
   * A request piece (as latin1 text) whose answer is lost: it reaches the server, which acts on it,
   * and nothing more of the server's bytes on that connection reaches the client. Once.
   */
  loseAnswerTo?: (request: string) => boolean;
}): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let stalled = 0;
  let passed = 0;
  let lost = 0;
  let budget = stallAfterBytes;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((socket) => {
    track(socket);
    connections += 1;
    if (target === undefined || stalled < stallFirst || passed >= budget) {
      stalled += 1;
      socket.resume();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    track(upstream);
    let losing = false;
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    // a server that closes after its answer ends the client's connection too, unless the proxy
    // has gone silent: then the client keeps waiting on an open socket
    upstream.on('close', () => {
      if (passed < budget && !losing) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!losing && lost === 0 && loseAnswerTo?.(chunk.toString('latin1'))) {
        losing = true;
        lost += 1;
      }
      upstream.write(chunk);
    });
    socket.on('end', () => upstream.end());
    upstream.on('data', (chunk: Buffer) => {
      if (losing) return;
      const part = chunk.subarray(0, Math.max(0, budget - passed));
      passed += part.length;
      if (part.length > 0) socket.write(part);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    host: `127.0.0.1:${address.port}`,
    connections: () => connections,
    stalled: () => stalled,
    bytesPassed: () => passed,
    answersLost: () => lost,
    silence: () => {
      budget = passed;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
