/**
 * What log lines may say. No personal data: paths lose their query (a searched name) and have
 * references and ids masked; errors are logged with their type, code and stack, and database
 * errors without their message or detail (PostgreSQL's `detail` and a failed query's text may
 * quote the values of a row).
 */

/** A path fit for a log line: no query, references and UUIDs masked. */
export function maskedPath(url: string): string {
  return url.split('?')[0]
    .replace(/P\d{2}-[0-9A-Z]{5}-[0-9A-Z]{5}/gi, ':reference')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id');
}

/** An error as a log field: type, code, message (unless it may quote data) and stack. */
export function errorForLog(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: typeof err === 'string' ? '(string error)' : '(non-error thrown)' };
  const e = err as Error & { code?: unknown; detail?: unknown; sql?: unknown; query?: unknown; sqlMessage?: unknown; type?: unknown };
  const fromDatabase = e.detail !== undefined || e.sql !== undefined || e.query !== undefined || e.sqlMessage !== undefined
    || /Exception$/.test(e.name) || /^(insert|update|delete|select|with) /i.test(e.message);
  const message = fromDatabase ? `(database error${typeof e.code === 'string' ? ` ${e.code}` : ''})` : e.message;
  // The stack's first line repeats the message: replaced by the safe one.
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).join('\n');
  return {
    type: e.name,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.type === 'string' ? { failureType: e.type } : {}),
    message,
    stack: `${e.name}: ${message}\n${frames}`,
    ...(e.cause instanceof Error ? { cause: errorForLog(e.cause) } : {}),
  };
}
