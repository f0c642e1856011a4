/**
 * Response headers of every answer: helmet with a strict Content Security Policy (no inline script
 * or style anywhere: the one script is /static/app.js), no framing, HSTS in production; and
 * `Cache-Control: no-store` on everything but the public static files (pages carry a CSRF token
 * or personal data; API answers and exports personal data).
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** The Content-Security-Policy directives (also asserted by test/headers.test.ts). */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
} as const;

/** helmet, configured for Tasjil: `production` adds HSTS and `upgrade-insecure-requests`. */
export function securityHeaders(production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CSP_DIRECTIVES, ...(production ? { 'upgrade-insecure-requests': [] } : {}) },
    },
    strictTransportSecurity: production ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  });
}

/** `Cache-Control: no-store` unless a later handler (the static files) sets its own. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
