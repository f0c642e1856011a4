/**
 * Anchor of `bench/submit.ts`: the least a door can do with the same body — Express 5, the body
 * parsed (JSON with a base64 photo, or multipart with the raw photo), one `pg` INSERT of the fields
 * as jsonb and the photo as bytea, 201. No validation, no ORM, no Temporal. Run as its own process
 * (so its CPU is measured apart) on a spare loopback port:
 *
 *   node --import tsx bench/anchors/bareInsert.ts <port> <databaseUrl>
 *
 * It creates the table `bench_anchor_submission` if missing and prints "listening <port>".
 */
import express from 'express';
import multer from 'multer';
import { Pool } from 'pg';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const databaseUrl = process.argv[3];
  if (!port || !databaseUrl) throw new Error('usage: bareInsert.ts <port> <databaseUrl>');
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query('create table if not exists bench_anchor_submission (id bigserial primary key, body jsonb not null, photo bytea not null, created_at timestamptz not null default now())');
  const app = express();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 300 } });
  const insert = async (body: unknown, photo: Buffer): Promise<string> => {
    const r = await pool.query<{ id: string }>('insert into bench_anchor_submission (body, photo) values ($1, $2) returning id', [JSON.stringify(body), photo]);
    return r.rows[0].id;
  };
  app.post('/json', express.json({ limit: '15mb' }), async (req, res) => {
    const body = { ...(req.body as Record<string, unknown>) };
    const p = body.photo as { data?: string } | undefined;
    delete body.photo;
    const id = await insert(body, Buffer.from(p?.data ?? '', 'base64'));
    res.status(201).json({ id });
  });
  app.post('/multipart', upload.single('photo'), async (req, res) => {
    const id = await insert(req.body, req.file?.buffer ?? Buffer.alloc(0));
    res.status(201).json({ id });
  });
  const server = app.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bare insert anchor failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
