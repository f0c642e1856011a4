/**
 * The benchmarks' GET: node:http with a keep-alive agent. The load generator runs on the same
 * cores as what it measures; WHATWG fetch (undici) costs it 0.2–0.35 CPU-ms per small read,
 * node:http 0.06–0.10 (measured on this machine, 10 connections against a bare server), so cheap
 * reads at hundreds per second are measured without the generator taking a tenth of a core.
 */
import http from 'node:http';

/** Sockets kept between requests; the callers' closed or open loops bound how many at once. */
const agent = new http.Agent({ keepAlive: true });

/** GETs `url` and reads its body through; resolves with the status and the body's length. */
export function get(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
