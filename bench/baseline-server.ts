import { createServer } from 'node:http';

/**
 * The benchmark's baseline: the least an HTTP JSON ingest endpoint can do on Node (read the body,
 * JSON.parse it, answer 200), with nothing durable. Prints its port once listening.
 */
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let count = 0;
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      count = Array.isArray(parsed) ? parsed.length : 1;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"accepted":${count}}`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  console.log(`baseline listening on ${typeof addr === 'object' && addr ? addr.port : addr}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
