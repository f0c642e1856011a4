/**
 * The Express 5 application: server-rendered Handlebars pages for parents, directors and
 * supervisors, and the JSON API under /api/v1. Arabic (RTL) by default, French on `?lang=fr`
 * (remembered in a cookie). No page needs JavaScript.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { RequestContext, type MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import type { Language } from '../domain/types';
import { GREEN_NUMBER } from '../domain/help';
import type { TasjilTemporal } from '../temporal/client';
import { helpers } from './views/helpers';
import { createViewEngine } from './views/engine';
import { parentRouter } from './routes/parent';
import { staffRouter } from './routes/staff';
import { apiRouter } from './routes/api';
import { apiParentRouter } from './routes/apiParent';
import { apiSchoolMapRouter } from './routes/apiSchoolMap';
import { placesRouter } from './routes/places';
import { devRouter } from './routes/dev';
import { codecRouter } from './routes/codec';
import { apiDocumentsRouter, documentsRouter } from './routes/documents';
import { reconciliationRouter } from './routes/reconciliation';
import { supervisionRouter } from './routes/supervision';
import { accountRouter } from './routes/account';
import { campaignPublicRouter, campaignStaffRouter } from './routes/campaigns';
import { spaceRouter } from './routes/space';
import { helpRouter, helpStaffRouter } from './routes/help';
import { privacyRouter } from './routes/privacy';
import { IntakeStarter } from './services/intakeStarter';
import { UnlockService } from './services/unlock';
import { acceptRequestId, runWithRequestId } from '../observability/requestContext';
import { errorForLog, maskedPath } from '../observability/logging';
import { httpRequestDuration, metricsAuthorized, registerBacklogGauges, registry } from '../observability/metrics';
import type { AuthDeps } from './auth';
import { DEFAULT_SIGN_IN_LIMITS, SignInGuard } from './services/signInGuard';
import { totpKey } from './services/secondFactor';
import { errorHandler, sendError } from './http/errors';
import { noStore, securityHeaders } from './http/headers';
import { refuseBadInput } from './http/input';

/** What every router receives. */
export interface WebDeps {
  config: Config;
  orm: MikroORM;
  temporal: TasjilTemporal;
  log: Logger;
  /** Starts the workflows of submissions accepted by the public doors (created by createApp when absent). */
  starter?: IntakeStarter;
  /** The current time for the operations' rules (campaign window, ages); tests set it. Default: the system clock. */
  clock?: () => Date;
}

/** What the routers of the operations receive: the app's clock and its one unlock service (throttle). */
export interface RouteDeps extends WebDeps {
  clock: () => Date;
  unlock: UnlockService;
}

declare module 'express-session' {
  interface SessionData {
    staffUserId?: string;
    /** Half signed in: the password was right, the second factor is awaited. Grants nothing else. */
    staffPending?: { userId: string; next: string; at: number };
    /** References whose holder proved the birth certificate number in this session. */
    unlocked?: string[];
    flash?: string;
    /** The signed-in parent (parents' space). */
    parentAccountId?: string;
    /** A one-time code awaiting entry: its id, purpose, the masked identifier it went to, where to go after. */
    pendingCode?: { codeId: string; purpose: 'verify' | 'reset'; masked: string; next?: string; decoy?: { attempts: number; sentAt: number } };
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      lang: Language;
      dir: 'rtl' | 'ltr';
    }
  }
}

/** A request's language: `?lang=` (then remembered), else the cookie, else Arabic. */
export function languageOf(req: Request): Language {
  const q = typeof req.query.lang === 'string' ? req.query.lang : undefined;
  if (q === 'ar' || q === 'fr') return q;
  const c = req.cookies?.lang;
  return c === 'fr' ? 'fr' : 'ar';
}

/** Builds the app (does not listen). Returns the app and a `close` for its session pool. */
export function createApp(webDeps: WebDeps): { app: express.Express; close(): Promise<void>; beginShutdown(): void } {
  const { config, log } = webDeps;
  const ownStarter = webDeps.starter ? null : new IntakeStarter(webDeps.orm, webDeps.temporal, log, {
    maxPerSecond: config.INTAKE_START_RATE, burstInFlight: config.INTAKE_BURST_IN_FLIGHT, burstRate: config.INTAKE_BURST_START_RATE,
  }).start();
  const deps: WebDeps = { ...webDeps, starter: webDeps.starter ?? ownStarter! };
  const app = express();
  /** Set by `beginShutdown()` (SIGTERM): /ready answers 503, responses close their connection. */
  const state = { draining: false };
  const unregisterBacklog = registerBacklogGauges({
    // Each scrape query is cut at 1 s so a slow database never stalls Prometheus.
    execute: (sql) => deps.orm.em.fork().getConnection().transactional(async (trx) => {
      await deps.orm.em.getConnection().execute('set local statement_timeout = 1000', [], 'run', trx);
      return deps.orm.em.getConnection().execute(sql, [], 'all', trx);
    }),
  });
  app.disable('x-powered-by');
  // No ETag on responses: every page and API answer after the static files is `no-store` (nothing
  // revalidates it), so hashing each body would be CPU for nothing; the static files keep theirs.
  app.set('etag', false);
  // The client address (req.ip) believes X-Forwarded-For only from the configured proxies.
  app.set('trust proxy', config.trustProxy.length ? config.trustProxy : false);
  // One Handlebars environment per process (web/views/engine.ts): helpers and partials registered
  // once, templates compiled once (every environment: nothing reloads the code at run time either).
  const views = createViewEngine({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(__dirname, 'views', 'layouts'),
    partialsDir: path.join(__dirname, 'views', 'partials'),
    helpers,
  });
  app.engine('hbs', views.engine);
  app.set('view engine', 'hbs');
  app.set('views', path.join(__dirname, 'views'));
  // Express keeps the looked-up view files too.
  app.enable('view cache');

  // Headers: helmet (CSP, no framing, HSTS in production).
  app.use(securityHeaders(config.NODE_ENV === 'production'));
  // One line per request (pino-http): its id (an incoming X-Request-Id when short and safe, else a
  // new one, echoed in the response), method, path without the query (which may hold a searched
  // name) and with references and ids masked, route pattern, status, duration. No header, no body.
  app.use(pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const id = acceptRequestId(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; raw?: { originalUrl?: string } }) => ({ id: req.id, method: req.method, path: maskedPath(req.raw?.originalUrl ?? req.url) }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      err: (e: { raw?: unknown }) => errorForLog(e?.raw ?? e),
    },
    customProps: (req, res) => (res.headersSent ? { route: routeOf(req as Request, res.statusCode) } : {}),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => PROBE_PATHS.has(req.url ?? '') },
    quietReqLogger: true,
  }));
  // The request id follows the request's async calls (Temporal headers: temporal/interceptors.ts).
  app.use((req, _res, next) => runWithRequestId(String(req.id), () => next()));
  // Latency histogram by route pattern (never the raw path: references, ids) and status.
  app.use((req, res, next) => {
    const end = httpRequestDuration.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeOf(req, res.statusCode), status: String(res.statusCode) });
    });
    next();
  });
  // Shutting down: every response closes its connection, so keep-alive clients reconnect elsewhere.
  app.use((_req, res, next) => {
    if (state.draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use('/static', express.static(path.join(__dirname, 'public'), { maxAge: config.NODE_ENV === 'production' ? '7d' : 0 }));
  // Everything after the public static files: never stored by a browser or a proxy; the path and
  // query string checked at the door (no NUL, no broken percent-encoding).
  app.use(noStore);
  app.use(refuseBadInput);
  // Liveness: the process answers.
  app.get('/health', (_req, res) => { res.json({ status: 'ok' }); });
  // Readiness: PostgreSQL and Temporal each answer within READY_TIMEOUT_MS, and not shutting down.
  app.get('/ready', async (_req, res) => {
    const r = await readiness(deps, state);
    res.set('Cache-Control', 'no-store').status(r.ready ? 200 : 503).json(r.body);
  });
  app.get('/metrics', async (req, res) => {
    if (!metricsAuthorized(req.get('authorization'), config.METRICS_TOKEN, config.NODE_ENV === 'production')) {
      res.status(config.METRICS_TOKEN ? 401 : 404).json({ error: 'notFound' });
      return;
    }
    res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(await registry.metrics());
  });
  app.get('/favicon.ico', (_req, res) => { res.redirect(301, '/static/favicon.svg'); });
  // The door first: the intake starter holds the pipeline back while this process is busy with
  // people's requests (pages, API; not probes, metrics or static files), see web/services/intakeStarter.ts.
  app.use((_req, res, next) => {
    res.once('close', deps.starter!.entering());
    next();
  });

  app.use(cookieParser());
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 5 });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => log.warn({ err: { message: err.message } }, 'session pool: idle client error'));
  // The sign-in throttles get a pool of their own: rate-limiter-flexible names its prepared
  // statements without the table, so limiters on two tables must not share connections (the unlock
  // service's, on `unlock_throttle`, uses the session pool).
  const limiterPool = new Pool({ connectionString: config.DATABASE_URL, max: 3 });
  limiterPool.on('error', (err) => log.warn({ err: { message: err.message } }, 'sign-in throttle pool: idle client error'));
  const auth: AuthDeps = {
    guard: new SignInGuard(limiterPool, config.SESSION_SECRET, { ...DEFAULT_SIGN_IN_LIMITS, perAddress: { ...DEFAULT_SIGN_IN_LIMITS.perAddress, points: config.SIGN_IN_FAILURES_PER_ADDRESS } }),
    totpKey: totpKey(config),
  };
  const PgStore = connectPgSimple(session);
  // Its errors (a prune that fails while PostgreSQL is away or the app is closing) go to our log,
  // not to the console; close() stops its prune timer.
  const sessionStore = new PgStore({
    pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: 15 * 60,
    errorLog: (message: string, err?: unknown) => log.warn({ err: { message: (err as Error | undefined)?.message } }, `session store: ${message}`),
  });
  app.use(session({
    store: sessionStore,
    name: 'tasjil.sid',
    secret: config.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    // A session id is made for every request without a session cookie (even when nothing is then
    // stored): a UUID v4 (122 random bits, from Node's buffered random pool) instead of uid-safe's
    // 24 bytes read one request at a time.
    genid: () => randomUUID(),
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.NODE_ENV === 'production', maxAge: 8 * 3600 * 1000 },
  }));
  app.use((req, _res, next) => RequestContext.create(deps.orm.em, next));
  // One unlock service (its throttle in PostgreSQL) for every door of this process.
  const routeDeps: RouteDeps = {
    ...deps, clock: deps.clock ?? (() => new Date()),
    unlock: new UnlockService({
      pool, secret: config.SESSION_SECRET, temporal: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE,
      maxPerReference: config.UNLOCK_MAX_FAILURES_PER_REFERENCE, maxPerClient: config.UNLOCK_MAX_FAILURES_PER_CLIENT, log,
    }),
  };

  // Language and direction for every page.
  app.use((req, res, next) => {
    const lang = languageOf(req);
    if (req.query.lang === 'ar' || req.query.lang === 'fr') {
      res.cookie('lang', lang, { maxAge: 365 * 24 * 3600 * 1000, sameSite: 'lax', httpOnly: true, secure: config.NODE_ENV === 'production' });
    }
    res.locals.lang = lang;
    res.locals.dir = lang === 'ar' ? 'rtl' : 'ltr';
    res.locals.otherLang = lang === 'ar' ? 'fr' : 'ar';
    res.locals.devOutbox = config.devOutbox;
    const u = new URL(req.originalUrl, 'http://x');
    u.searchParams.set('lang', lang === 'ar' ? 'fr' : 'ar');
    res.locals.switchUrl = u.pathname + u.search;
    res.locals.parentSignedIn = Boolean(req.session.parentAccountId);
    res.locals.greenNumber = GREEN_NUMBER;
    next();
  });

  // CSRF tokens are bound to a random visitor cookie, not to the session: a page that only shows
  // something (the public status page, the form) then writes nothing on the server — no session
  // row for an anonymous visit; a session is stored only once something is put in it (sign-in,
  // unlocking a request). Signed double-submit: the token is an HMAC of the visitor id.
  const visitorCookie = config.NODE_ENV === 'production' ? '__Host-tasjil.vid' : 'tasjil.vid';
  const visitorId = (req: Request): string => {
    const v = (req.cookies as Record<string, string> | undefined)?.[visitorCookie];
    return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v) ? v : '';
  };
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => config.SESSION_SECRET,
    getSessionIdentifier: visitorId,
    cookieName: config.NODE_ENV === 'production' ? '__Host-tasjil.csrf' : 'tasjil.csrf',
    cookieOptions: { sameSite: 'lax', secure: config.NODE_ENV === 'production', httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
  });
  /** Gives the page a CSRF token (bound to the visitor cookie, set here when missing; nothing stored). */
  const withCsrf = (req: Request, res: Response, next: NextFunction) => {
    if (!visitorId(req)) {
      // 32 hex characters (a UUID v4 without its dashes: 122 random bits, Node's buffered pool).
      const id = randomUUID().replace(/-/g, '');
      res.cookie(visitorCookie, id, { httpOnly: true, sameSite: 'lax', secure: config.NODE_ENV === 'production', path: '/', maxAge: 365 * 24 * 3600 * 1000 });
      (req.cookies as Record<string, string>)[visitorCookie] = id;
    }
    res.locals.csrfToken = generateCsrfToken(req, res);
    next();
  };
  const csrf = { withCsrf, protect: doubleCsrfProtection };

  app.use('/api/v1', apiDocumentsRouter(routeDeps));
  app.use('/api/v1', apiRouter(routeDeps, auth));
  app.use('/api/v1', apiParentRouter(routeDeps));
  app.use('/api/v1/school-map', apiSchoolMapRouter(deps));
  if (config.devOutbox) app.use('/dev', devRouter(deps));
  app.use('/codec', codecRouter(deps));
  app.use('/', documentsRouter(routeDeps, csrf));
  app.use('/staff/reconciliation', reconciliationRouter(deps, csrf));
  app.use('/staff/supervision', supervisionRouter(deps, csrf));
  app.use('/staff/help', helpStaffRouter(deps, csrf));
  app.use('/staff/campaigns', campaignStaffRouter(routeDeps, csrf));
  app.use('/campaign', campaignPublicRouter(routeDeps, csrf));
  app.use('/staff', staffRouter(routeDeps, csrf, auth));
  app.use(privacyRouter(routeDeps, csrf, auth));
  const accounts = accountRouter(deps, csrf, auth);
  app.use('/account', accounts.router);
  app.use('/space', spaceRouter(routeDeps, csrf));
  app.use('/', placesRouter(routeDeps));
  const help = helpRouter(routeDeps, csrf);
  app.use('/help', help.router);
  app.use('/', parentRouter(routeDeps, csrf));

  app.use((req, res) => { sendError(req, res, 404, 'error.notFound'); });
  app.use(errorHandler(
    (err, req) => req.log.error({ err, path: maskedPath(req.originalUrl) }, 'request failed'),
    (away, req) => req.log.warn({ dependency: away, path: maskedPath(req.originalUrl) }, 'dependency unavailable'),
  ));
  return {
    app,
    close: async () => { unregisterBacklog(); accounts.close(); await ownStarter?.close(); await sessionStore.close(); await pool.end(); await limiterPool.end(); await help.close(); },
    beginShutdown: () => { state.draining = true; },
  };
}

/** Paths of probes and scrapes, not logged line by line. */
const PROBE_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * The route pattern a request matched (`/api/v1/pre-registrations/:reference`), for metrics labels
 * and log lines. The mount prefix is read from the URL (by the number of segments of the route's
 * pattern), since `req.baseUrl` is reset by the time an error reaches the error handler; it is
 * masked like any logged path (routers are mounted on fixed prefixes).
 */
function routeOf(req: Request, status: number): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') {
    const own = pattern.split('/').filter(Boolean);
    const segments = maskedPath(req.originalUrl).split('/').filter(Boolean);
    const base = segments.slice(0, Math.max(0, segments.length - own.length));
    return `/${[...base, ...own].join('/')}`;
  }
  if (req.originalUrl.startsWith('/static/')) return '/static';
  return status === 404 ? 'unmatched' : 'unrouted';
}

/** Resolves `p`, or rejects after `ms` with a timeout error. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); }),
  ]);
}

/** PostgreSQL (`select 1`) and Temporal (GetSystemInfo) checked in parallel, each within READY_TIMEOUT_MS. */
async function readiness(deps: WebDeps, state: { draining: boolean }): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  const ms = deps.config.READY_TIMEOUT_MS;
  const check = async (fn: () => Promise<unknown>): Promise<string> => {
    try {
      await within(ms, fn());
      return 'ok';
    } catch (err) {
      return /no answer within/.test((err as Error).message) ? 'timeout' : 'unavailable';
    }
  };
  const [postgres, temporal] = await Promise.all([
    check(() => deps.orm.em.fork().getConnection().execute('select 1')),
    check(() => deps.temporal.client.connection.withDeadline(Date.now() + ms, () => deps.temporal.client.workflowService.getSystemInfo({}))),
  ]);
  const failed = [...(postgres === 'ok' ? [] : ['postgres']), ...(temporal === 'ok' ? [] : ['temporal']), ...(state.draining ? ['shuttingDown'] : [])];
  return {
    ready: failed.length === 0,
    body: { status: failed.length === 0 ? 'ready' : 'unavailable', checks: { postgres, temporal }, ...(failed.length ? { failed } : {}), ...(state.draining ? { shuttingDown: true } : {}) },
  };
}

export type Csrf = {
  withCsrf: (req: Request, res: Response, next: NextFunction) => void;
  protect: (req: Request, res: Response, next: NextFunction) => void;
};
