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
import { CHECKS_AND_QUEUE_IN_ONE_ACTIVITY, CHECKS_AS_LOCAL_ACTIVITY } from '../workflows/preRegistration';

const histories = loadHistories();
/** Prefix of the fixtures recorded with the current workflow code (RECORD_PREFIX of the last recording). */
const CURRENT = 'v3';
/** The patches each recorded code version took: none, then one activity for the checks and the queue, then that step local. */
const PATCHES_BY_VERSION: Record<string, string[]> = { v1: [], v2: [CHECKS_AND_QUEUE_IN_ONE_ACTIVITY], v3: [CHECKS_AS_LOCAL_ACTIVITY] };
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

test('a saved history exists for every path of the lifecycle, from every recorded code version to the current one', () => {
  for (const version of Object.keys(PATCHES_BY_VERSION)) {
    const names = histories.filter((h) => h.name.startsWith(`${version}-`)).map((h) => h.name.slice(version.length + 1));
    expect(names.sort()).toEqual([...PATHS].sort());
  }
});

test('the histories of each version took exactly its patches (the current code: the local checks step)', () => {
  /** Patch ids of a history's `core_patch` markers (written by the SDK's core, in clear). */
  const patches = (h: (typeof histories)[number]) => (h.history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => (JSON.parse(Buffer.from(m!.details!['patch-data']!.payloads![0].data!).toString()) as { id: string }).id);
  const pre = histories.filter((x) => x.workflowType === 'preRegistration');
  expect(pre.length).toBe(Object.keys(PATCHES_BY_VERSION).length * (PATHS.length - 1)); // the retention path is another workflow
  for (const h of pre) {
    const version = h.name.split('-')[0];
    expect([h.name, patches(h)]).toEqual([h.name, PATCHES_BY_VERSION[version]]);
  }
  const localSteps = (h: (typeof histories)[number]) => (h.history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
  for (const h of pre) expect([h.name, localSteps(h) > 0]).toEqual([h.name, h.name.startsWith(`${CURRENT}-`)]);
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
