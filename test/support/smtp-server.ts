import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** the message as sent, dot-unstuffed, CRLF line endings */
  data: string;
  /** the user that logged in, if any */
  user?: string;
}

export interface SmtpStandInOptions {
  /** user → password; when set, MAIL FROM needs a login first (AUTH PLAIN or LOGIN) */
  users?: Record<string, string>;
  /** RCPT TO for these addresses is refused with 550 */
  rejectRecipients?: readonly string[];
  /** reply to the end of DATA, e.g. `451 4.3.0 try again later`; default 250 */
  dataReply?: string;
  /**
   * What to do at the end of DATA instead of replying: `hold` keeps the message unaccepted and
   * never answers (a server stalled mid-transaction; the message is lost with the connection),
   * `accept_then_hold` stores it and never answers (accepted, but the client never learns it).
   * Mutable through `setStall`.
   */
  stall?: 'hold' | 'accept_then_hold';
}

export interface SmtpStandIn {
  port: number;
  messages: ReceivedMail[];
  /** the commands received, for asserting on the conversation (AUTH payloads elided) */
  commands: string[];
  /** transactions that reached the end of DATA and are held (see `stall`) */
  readonly held: number;
  setStall(stall: SmtpStandInOptions['stall']): void;
  close(): Promise<void>;
}

/**
 * A tiny SMTP server on 127.0.0.1 (random port) speaking what a client needs: EHLO/HELO,
 * AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT. No TLS: it never offers STARTTLS.
 */
export async function startSmtpStandIn(options: SmtpStandInOptions = {}): Promise<SmtpStandIn> {
  const messages: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const heldCount = { value: 0 };
  const live: SmtpStandInOptions = { ...options };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket, { options: live, messages, commands, heldCount });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP stand-in has no TCP address');
  return {
    port: address.port,
    messages,
    commands,
    get held() {
      return heldCount.value;
    },
    setStall(stall) {
      live.stall = stall;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serve(
  socket: Socket,
  {
    options,
    messages,
    commands,
    heldCount,
  }: {
    options: SmtpStandInOptions;
    messages: ReceivedMail[];
    commands: string[];
    heldCount: { value: number };
  },
): void {
  const reply = (line: string) => socket.write(`${line}\r\n`);
  let buffer = '';
  let user: string | undefined;
  let from: string | undefined;
  let to: string[] = [];
  let mode: 'command' | 'data' | 'auth-plain' | 'auth-login-user' | 'auth-login-pass' = 'command';
  let loginUser = '';
  const needsAuth = options.users !== undefined;

  const login = (name: string, password: string) => {
    if (options.users?.[name] === password) {
      user = name;
      reply('235 2.7.0 Authentication successful');
    } else reply('535 5.7.8 Authentication credentials invalid');
    mode = 'command';
  };
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const plain = (b64: string) => {
    const [, name = '', password = ''] = decode(b64).split('\u0000');
    login(name, password);
  };

  const onLine = (line: string) => {
    if (mode === 'auth-plain') return plain(line);
    if (mode === 'auth-login-user') {
      loginUser = decode(line);
      mode = 'auth-login-pass';
      return reply('334 UGFzc3dvcmQ6');
    }
    if (mode === 'auth-login-pass') return login(loginUser, decode(line));
    const [verb = '', ...rest] = line.split(' ');
    const upper = verb.toUpperCase();
    commands.push(upper === 'AUTH' ? `AUTH ${rest[0] ?? ''}` : line);
    const arg = rest.join(' ');
    switch (upper) {
      case 'EHLO':
        reply('250-localhost greets you');
        if (needsAuth) reply('250-AUTH PLAIN LOGIN');
        reply('250-8BITMIME');
        return reply('250 SMTPUTF8');
      case 'HELO':
        return reply('250 localhost');
      case 'AUTH': {
        const [mechanism = '', initial] = rest;
        if (mechanism.toUpperCase() === 'PLAIN') {
          if (initial) return plain(initial);
          mode = 'auth-plain';
          return reply('334 ');
        }
        if (mechanism.toUpperCase() === 'LOGIN') {
          if (initial) {
            loginUser = decode(initial);
            mode = 'auth-login-pass';
            return reply('334 UGFzc3dvcmQ6');
          }
          mode = 'auth-login-user';
          return reply('334 VXNlcm5hbWU6');
        }
        return reply('504 5.5.4 Unrecognized authentication type');
      }
      case 'MAIL':
        if (needsAuth && !user) return reply('530 5.7.0 Authentication required');
        from = /<([^>]*)>/.exec(arg)?.[1] ?? '';
        to = [];
        return reply('250 2.1.0 OK');
      case 'RCPT': {
        if (from === undefined) return reply('503 5.5.1 MAIL first');
        const address = /<([^>]*)>/.exec(arg)?.[1] ?? '';
        if (options.rejectRecipients?.includes(address)) return reply('550 5.1.1 No such user');
        to.push(address);
        return reply('250 2.1.5 OK');
      }
      case 'DATA':
        if (to.length === 0) return reply('503 5.5.1 RCPT first');
        mode = 'data';
        return reply('354 End data with <CR><LF>.<CR><LF>');
      case 'RSET':
        from = undefined;
        to = [];
        return reply('250 2.0.0 OK');
      case 'NOOP':
        return reply('250 2.0.0 OK');
      case 'QUIT':
        reply('221 2.0.0 Bye');
        socket.end();
        return;
      default:
        return reply('502 5.5.2 Command not recognized');
    }
  };

  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      if (mode === 'data') {
        const end = buffer.indexOf('\r\n.\r\n');
        const atStart = buffer.startsWith('.\r\n');
        if (end === -1 && !atStart) return;
        const body = atStart ? '' : buffer.slice(0, end + 2);
        buffer = buffer.slice(atStart ? 3 : end + 5);
        const data = body.replace(/^\.\./gm, '.');
        mode = 'command';
        if (options.stall) {
          if (options.stall === 'accept_then_hold')
            messages.push({ from: from ?? '', to, data, ...(user ? { user } : {}) });
          heldCount.value += 1;
          return;
        }
        const dataReply = options.dataReply ?? '250 2.0.0 OK queued';
        if (dataReply.startsWith('250'))
          messages.push({ from: from ?? '', to, data, ...(user ? { user } : {}) });
        from = undefined;
        to = [];
        reply(dataReply);
        continue;
      }
      const nl = buffer.indexOf('\r\n');
      if (nl === -1) return;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      onLine(line);
    }
  });
  reply('220 localhost ESMTP ai-ops stand-in');
}
