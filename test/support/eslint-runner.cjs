// Runs ESLint's Node API for test/lint.test.ts in a plain Node process: Jest's module sandbox
// cannot load eslint.config.mjs (an ES module loaded through dynamic import()).
// Input (argv[2], JSON): { lint: 'files', patterns } | { lint: 'text', code, filePath, untyped }.
// Output (stdout, JSON): [{ filePath, messages: [{ line, ruleId, severity, message }] }].
'use strict';
const { ESLint } = require('eslint');
const path = require('node:path');

(async () => {
  const req = JSON.parse(process.argv[2]);
  const cwd = path.resolve(__dirname, '..', '..');
  const untyped = {
    // A probe file outside the TypeScript project: no type information, so no type-aware rule.
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  };
  const eslint = new ESLint({ cwd, ...(req.untyped ? { overrideConfig: untyped } : {}) });
  const results = req.lint === 'files'
    ? await eslint.lintFiles(req.patterns)
    : await eslint.lintText(req.code, { filePath: path.join(cwd, req.filePath) });
  process.stdout.write(JSON.stringify(results.map((r) => ({
    filePath: path.relative(cwd, r.filePath),
    messages: r.messages.map((m) => ({ line: m.line, ruleId: m.ruleId, severity: m.severity, message: m.message })),
  }))));
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err));
  process.exit(1);
});
