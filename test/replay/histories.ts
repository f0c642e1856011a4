/**
 * Saved workflow histories (test/fixtures/histories/*.json): one per path of the pre-registration
 * lifecycle, recorded by test/replay/record-histories.ts from the workflow code of the time, and
 * replayed by test/replay.test.ts against today's `workflows/` so that a change which would break a
 * request already running fails the tests. Payloads are encrypted by the project codec with the
 * development key (no personal data in clear); the replay decodes them with the same codec.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

/**
 * A history as JSON: protobufjs' own `toJSON()` of the History message (camelCase fields, enums by
 * name, bytes in base64, 64-bit integers as strings), read back by `History.fromObject`. (Not
 * `historyToJSON` of @temporalio/common: with this install's two protobufjs copies it throws
 * "type must be a Type".)
 */
export function historyToFixture(history: History): string {
  return `${JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1)}\n`;
}

/** The History message of a fixture's text. */
export function historyFromFixture(text: string): History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(text));
}

/** A fixture file: `<version>-<path>.json` (version: the workflow code it was recorded with). */
export interface SavedHistory { name: string; workflowType: string; history: History }

/** Every saved history, sorted by file name. */
export function loadHistories(dir = HISTORIES_DIR): SavedHistory[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const history = historyFromFixture(fs.readFileSync(path.join(dir, f), 'utf8'));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    return { name: f.replace(/\.json$/, ''), workflowType: started?.workflowType?.name ?? '?', history };
  });
}
