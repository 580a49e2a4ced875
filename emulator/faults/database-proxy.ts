// A loopback TCP proxy in front of PostgreSQL that reliability tests cut to play "database down":
// down() cuts existing connections and refuses new ones, which is what a function sees when its
// database restarts or its network goes; up() lets connections through again.
import net from 'node:net';
import pg from 'pg';

export interface DatabaseProxy {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startDatabaseProxy(targetUrl: string): Promise<DatabaseProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let isUp = true;
  const server = net.createServer((client) => {
    if (!isUp) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(targetUrl);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  return {
    url: url.toString(),
    down() {
      isUp = false;
      for (const s of sockets) s.destroy();
    },
    up() {
      isUp = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}


// A fresh database on the given server, for one isolated deployment (a test file, a chaos trial), with
// a proxy in front of it: `url` goes through the proxy (what the functions get), `directUrl` does not
// (what the checks read with).
export async function createProxiedDatabase(serverUrl: string, name: string): Promise<{ directUrl: string; proxy: DatabaseProxy }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  const direct = new URL(serverUrl);
  direct.pathname = `/${name}`;
  return { directUrl: direct.toString(), proxy: await startDatabaseProxy(direct.toString()) };
}
