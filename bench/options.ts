/**
 * Command-line options of the benchmarks: `--name value`, `--name=value` or a bare `--flag`
 * (true), else the environment's `BENCH_NAME` (dashes as underscores), else the fallback.
 */
function flags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    if (m[2] !== undefined) out.set(m[1], m[2]);
    else if (argv[i + 1] && !argv[i + 1].startsWith('--')) out.set(m[1], argv[++i]);
    else out.set(m[1], 'true');
  }
  return out;
}

/** The option reader of this process's command line. */
export function benchOptions(argv: string[] = process.argv.slice(2)): (name: string, fallback: string) => string {
  const F = flags(argv);
  return (name, fallback) => F.get(name) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback;
}
