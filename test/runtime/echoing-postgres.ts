// A stand-in PostgreSQL server on loopback that misbehaves the way a leaky dependency can: it accepts
// any login (asking for the password in clear text, as `password` auth does), then answers every
// query with an error whose text quotes what the client sent — the password among it. Tests use it to
// prove that such text is scrubbed at every sink. Speaks just enough of the v3 wire protocol for pg.
import net from 'node:net';

export interface EchoingPostgres {
  url(user: string, password: string, database: string): string;
  // Passwords clients have sent, as the server received them.
  received: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstring = (s: string) => Buffer.from(s + '\0', 'utf8');
const readyForQuery = () => message('Z', Buffer.from('I'));
const errorResponse = (code: string, text: string) =>
  message('E', Buffer.concat([cstring('SERROR'), cstring('VERROR'), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0])]));

// `say(password)`: the error text the server answers every query with; `code` its SQLSTATE.
export async function startEchoingPostgres(options: { code: string; say: (password: string) => string }): Promise<EchoingPostgres> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let started = false;
    let password = '';
    let skippingToSync = false;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) return;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) return;
          const code = buffered.readInt32BE(4);
          buffered = buffered.subarray(length);
          if (code === SSL_REQUEST) {
            socket.write('N');
            continue;
          }
          started = true;
          socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (buffered.length < 5) return;
        const type = String.fromCharCode(buffered[0]!);
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) return;
        const body = buffered.subarray(5, length + 1);
        buffered = buffered.subarray(length + 1);
        if (type === 'p') {
          password = body.subarray(0, body.indexOf(0)).toString('utf8');
          received.push(password);
          socket.write(Buffer.concat([message('R', int32(0)), message('K', Buffer.concat([int32(1), int32(2)])), readyForQuery()]));
        } else if (type === 'Q') {
          socket.write(Buffer.concat([errorResponse(options.code, options.say(password)), readyForQuery()]));
        } else if (type === 'S') {
          if (!skippingToSync) socket.write(errorResponse(options.code, options.say(password)));
          skippingToSync = false;
          socket.write(readyForQuery());
        } else if (type === 'X') {
          socket.end();
          return;
        } else if (!skippingToSync && (type === 'P' || type === 'B' || type === 'E' || type === 'D')) {
          // Extended protocol: the first message errs, the rest are skipped until Sync, as a server does.
          socket.write(errorResponse(options.code, options.say(password)));
          skippingToSync = true;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (user, pw, database) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${database}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
