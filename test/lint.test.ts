/**
 * ESLint over the repository (eslint.config.mjs, the same as `npm run lint`): zero errors; and the
 * rules that keep workflow code deterministic and the layers apart do fire on code that breaks them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..');

interface LintResult { filePath: string; messages: Array<{ line: number; ruleId: string | null; severity: number; message: string }> }

/** ESLint's Node API, run by test/support/eslint-runner.cjs in a plain Node process. */
async function lint(req: { lint: 'files'; patterns: string[] } | { lint: 'text'; code: string; filePath: string; untyped?: boolean }): Promise<LintResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(__dirname, 'support', 'eslint-runner.cjs'), JSON.stringify(req)], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as LintResult[];
}

describe('lint', () => {
  test('the repository has no ESLint error', async () => {
    const results = await lint({ lint: 'files', patterns: ['.'] });
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2)
      .map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(errors).toEqual([]);
    // Sanity: the TypeScript sources were all linted (not ignored by a wrong glob).
    const linted = results.map((r) => r.filePath);
    expect(linted).toEqual(expect.arrayContaining(['workflows/preRegistration.ts', 'activities/database.ts', 'web/app.ts', 'test/lint.test.ts']));
  }, 600_000);

  test('a floating promise in workflow code is an error (type-aware rule)', async () => {
    const code = "import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> {\n  sleep(1);\n}\n";
    const [r] = await lint({ lint: 'text', code, filePath: 'workflows/retention.ts' });
    expect(r.messages.map((m) => [m.line, m.ruleId])).toEqual([[3, '@typescript-eslint/no-floating-promises']]);
  }, 300_000);

  test('workflow files import only @temporalio/workflow, domain/, sibling workflows, search attribute keys and types', async () => {
    const lines = [
      "import { randomUUID } from 'node:crypto';", // 1 ✗ Node built-in
      "import { createHash } from 'crypto';", // 2 ✗ Node built-in without node:
      "import { createOrm } from '../entities/orm';", // 3 ✗ persistence
      "import { createActivities } from '../activities';", // 4 ✗ activities at value level
      "import type { Activities } from '../activities/types';", // 5 ✓ type only
      "import { translator } from '../web/i18n';", // 6 ✗ web/
      "import { z } from 'zod';", // 7 ✗ npm package
      "import { proxyActivities } from '@temporalio/workflow';", // 8 ✓
      "import { Client } from '@temporalio/client';", // 9 ✗ client SDK
      "import type { Duration } from '@temporalio/common';", // 10 ✓ type only
      "import { STATUS } from '../temporal/searchAttributes';", // 11 ✓ search attribute keys
      "import { connectTemporal } from '../temporal/client';", // 12 ✗
      "import { checkZone } from '../domain/zone';", // 13 ✓ pure domain rules
      "import { preRegistration } from './preRegistration';", // 14 ✓ sibling workflow
    ];
    const [r] = await lint({ lint: 'text', code: `${lines.join('\n')}\n`, filePath: 'workflows/probe.ts', untyped: true });
    const flagged = [...new Set(r.messages.map((m) => { expect(m.ruleId).toBe('@typescript-eslint/no-restricted-imports'); return m.line; }))];
    expect(flagged).toEqual([1, 2, 3, 4, 6, 7, 9, 12]);
  }, 60_000);

  test('activities never import web/', async () => {
    const code = "import { translator } from '../web/i18n';\nimport { checkZone } from '../domain/zone';\nimport { createOrm } from '../entities/orm';\n";
    const [r] = await lint({ lint: 'text', code, filePath: 'activities/probe.ts', untyped: true });
    expect(r.messages.map((m) => [m.line, m.ruleId])).toEqual([[1, '@typescript-eslint/no-restricted-imports']]);
  }, 60_000);
});
