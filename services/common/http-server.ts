// Starting and stopping the small HTTP servers of the long-running processes (relay admin, relay
// notifications, forwarder metrics): listen on a host:port (port 0 picks a free one), report the
// bound address, and close by dropping open keep-alive connections first so a stop never waits.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../relay/options.ts';

export interface RunningHttpServer {
  address: HostPort;
  close(): Promise<void>;
}

export async function listenHttp(server: Server, listen: HostPort): Promise<RunningHttpServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: listen.host, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
