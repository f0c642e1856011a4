/**
 * Replays every saved history (test/fixtures/histories/, one per path of the lifecycle, recorded
 * by test/replay/record-histories.ts) against today's `workflows/` code: a change that would make
 * a request already running fail on the worker (nondeterminism) fails here. Uses the project's
 * payload codec (development key) so the encrypted inputs decode as on the real worker.
 * Needs no server: runs in unit-only mode too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../config';
import { codecFromConfig } from '../temporal/codec';
import { HISTORIES_DIR, loadHistories } from './replay/histories';

const histories = loadHistories();
/** Prefix of the fixtures recorded with the current workflow code (RECORD_PREFIX of the last recording). */
const CURRENT = 'v2';
const PATHS = ['approve', 'reject', 'correction', 'parent-edit', 'withdraw', 'export-retry', 'deadlines', 'retention'];

let bundle: WorkflowBundleWithSourceMap;
const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: silentLogger });
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by an earlier suite in this process
  }
});

test('a saved history exists for every path of the lifecycle, from the first code (v1) and the current one', () => {
  for (const version of ['v1', CURRENT]) {
    const names = histories.filter((h) => h.name.startsWith(`${version}-`)).map((h) => h.name.slice(version.length + 1));
    expect(names.sort()).toEqual([...PATHS].sort());
  }
});

test('histories of the current code take the patched path, older ones do not', () => {
  const markers = (h: (typeof histories)[number]) => (h.history.events ?? []).filter((e) => e.markerRecordedEventAttributes).length;
  for (const h of histories.filter((x) => x.workflowType === 'preRegistration')) {
    expect([h.name, markers(h) > 0]).toEqual([h.name, h.name.startsWith(`${CURRENT}-`)]);
  }
});

test('fixtures hold no clear personal data: every payload but the search attributes (codes) is encrypted', () => {
  const seen: Record<string, number> = {};
  /** Walks a fixture's JSON; counts each payload's encoding, search attributes apart. */
  const walk = (node: unknown, inSearchAttributes: boolean): void => {
    if (Array.isArray(node)) { node.forEach((n) => walk(n, inSearchAttributes)); return; }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const meta = o.metadata as Record<string, string> | undefined;
    if (meta && typeof meta.encoding === 'string') {
      const encoding = Buffer.from(meta.encoding, 'base64').toString();
      const key = `${inSearchAttributes ? 'searchAttribute' : 'payload'}:${encoding}`;
      seen[key] = (seen[key] ?? 0) + 1;
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'markerRecordedEventAttributes') continue; // patch markers: the patch id, written by the SDK's core
      walk(v, inSearchAttributes || k === 'searchAttributes');
    }
  };
  for (const f of fs.readdirSync(HISTORIES_DIR).filter((n) => n.endsWith('.json'))) {
    walk(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')), false);
  }
  expect(Object.keys(seen).sort()).toEqual(['payload:binary/encrypted', 'searchAttribute:json/plain']);
  expect(seen['payload:binary/encrypted']).toBeGreaterThan(100);
});

test.each(histories.map((h) => [h.name, h] as const))('replays %s without nondeterminism', async (_name, h) => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const results = Worker.runReplayHistories({
    workflowBundle: bundle,
    dataConverter: { payloadCodecs: [codecFromConfig(config)] },
    replayName: `replay-${h.name}`,
  }, [{ workflowId: h.name, history: h.history }]);
  let count = 0;
  for await (const r of results) {
    count += 1;
    expect(r.error).toBeUndefined();
  }
  expect(count).toBe(1);
});
