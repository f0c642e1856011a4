import type { Server } from 'node:http';

/**
 * Idle keep-alive connections stay open 65 s (Node's default: 5 s). A client or proxy that reuses
 * a pooled connection at the moment the server closes it gets a reset (seen as ECONNRESET in the
 * browser suite on a slow machine; as 502s behind a load balancer whose idle timeout, 60 s by
 * default, outlasts the server's). The server must outlast its clients; headers get 1 s more.
 */
export function keepConnectionsAlive(server: Server): Server {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
