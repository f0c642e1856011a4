/**
 * Law 09-08 pages: the privacy notice (`/privacy`, every version by `?version=`), and for a
 * signed-in parent the right of access (`/space/my-data`: a readable page, the JSON download, the
 * photos as downloads) and the deletion of an account without submitted requests
 * (`/space/account/delete`: confirmation, password). Routes only translate HTTP: the notice and
 * consent in web/services/privacy.ts, the rights in web/services/rights.ts.
 */
import { Router, type Request, type Response } from 'express';
import { isReference, normalizeReference } from '../../domain/reference';
import type { Language } from '../../domain/types';
import type { Csrf, RouteDeps } from '../app';
import type { AuthDeps } from '../auth';
import { translator } from '../i18n';
import { formBody } from '../http/bodies';
import { requireParent } from './account';
import { summaryLabel } from './parent';
import { CONSENT_FIELD, currentNotice, noticeView } from '../services/privacy';
import { AccountError } from '../services/accounts';
import { SignInRefused } from '../services/signInGuard';
import { auditExport, deleteAccount, myData, myPhoto, submittedReferences } from '../services/rights';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** `{ a: { b: 1 } }` → `[['a.b', '1']]`, empty values left out (what the page lists). */
function flatten(v: unknown, prefix = ''): Array<[string, string]> {
  if (v === null || v === undefined || v === '') return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => flatten(x, `${prefix}.${i}`));
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  return [[prefix, String(v)]];
}

export function privacyRouter(deps: RouteDeps, csrf: Csrf, auth: AuthDeps): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  const signedIn = requireParent(deps);
  const urlencoded = formBody({ fields: 10 });
  const accountId = (res: Response) => (res.locals.parent as { id: string }).id;

  // Every page knows the notice version in force (the consent checkbox's value).
  r.use((_req, res, next) => {
    res.locals.privacyNoticeVersion = currentNotice(deps.clock()).version;
    res.locals.consentField = CONSENT_FIELD;
    next();
  });

  r.get('/privacy', async (req, res) => {
    const lang: Language = res.locals.lang;
    const t = translator(lang);
    const version = str(req.query.version);
    const notice = await noticeView(em(), lang, deps.clock(), /^[0-9A-Za-z.-]{1,32}$/.test(version) ? version : undefined);
    if (!notice) { res.status(404).render('error', { title: t('privacy.notFound.title'), message: t('privacy.notFound.body') }); return; }
    res.render('privacy/notice', { title: t('privacy.title'), notice });
  });

  // ---- right of access ---------------------------------------------------------------------------
  r.get('/space/my-data', signedIn, csrf.withCsrf, async (req, res) => {
    const lang: Language = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const data = await myData(db, accountId(res), deps.clock());
    await auditExport(db, accountId(res), 'page', req.ip ?? null, data);
    const label = (path: string) => summaryLabel(path, (k) => t(k) as string);
    const account = data.account as Record<string, unknown>;
    const requests = data.requests as Array<Record<string, unknown>>;
    res.render('space/myData', {
      title: t('privacy.myData.title'),
      generatedAt: data.generatedAt,
      account: {
        email: account.email, phone: account.phone, language: t(`privacy.language.${String(account.language)}`),
        createdAt: account.createdAt, verifiedAt: account.verifiedAt, lastSignInAt: account.lastSignInAt,
        profile: flatten(account.profile).map(([k, v]) => ({ label: label(k), value: v })),
      },
      drafts: (data.drafts as Array<Record<string, unknown>>).map((d) => ({
        id: d.id, step: d.step, updatedAt: d.updatedAt, fields: flatten(d.data).map(([k, v]) => ({ label: label(k), value: v })),
      })),
      requests: requests.map((p) => {
        const school = p.school as { code: string; nameAr: string; nameFr: string };
        const decision = p.decision as { outcome: string; decidedAt: string; rejectionReasons: Array<{ code: string; textAr: string | null; textFr: string | null }>; note: string | null } | null;
        return {
          reference: p.reference, schoolYear: p.schoolYear, level: p.level, status: p.status, submittedAt: p.submittedAt,
          school: { code: school.code, name: lang === 'ar' ? school.nameAr : school.nameFr },
          fields: flatten(p.submission).map(([k, v]) => ({ label: label(k), value: v })),
          decision: decision ? { ...decision, reasons: decision.rejectionReasons.map((x) => (lang === 'ar' ? x.textAr : x.textFr) ?? x.code) } : null,
          massarCode: p.massarCode, correctionMessage: p.correctionMessage,
          consent: p.consent, notifications: p.notifications, photo: p.photo,
          timeline: (p.timeline as Array<{ at: string; type: string; status: string | null; channel: string | null }>).map((e) => ({
            at: e.at, label: e.type === 'status' ? `timeline.status.${e.status}` : e.type === 'notification' ? `timeline.notification.${e.channel}` : `timeline.${e.type}`,
          })),
        };
      }),
      messages: data.accountMessages,
    });
  });

  r.get('/space/my-data.json', signedIn, async (req, res) => {
    const db = em();
    const data = await myData(db, accountId(res), deps.clock());
    await auditExport(db, accountId(res), 'json', req.ip ?? null, data);
    const day = String(data.generatedAt).slice(0, 10);
    res.set('Content-Disposition', `attachment; filename="tasjil-my-data-${day}.json"`);
    res.type('application/json').send(JSON.stringify(data, null, 2));
  });

  r.get('/space/my-data/photos/:file', signedIn, async (req, res) => {
    const m = /^(.+)\.jpg$/.exec(String(req.params.file));
    const reference = m ? normalizeReference(m[1]) : '';
    const db = em();
    const bytes = isReference(reference) ? await myPhoto(db, accountId(res), reference) : null;
    if (!bytes) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('privacy.photoNotFound.title'), message: t('privacy.photoNotFound.body') });
      return;
    }
    await auditExport(db, accountId(res), 'photo', req.ip ?? null, undefined, reference);
    res.set('Content-Disposition', `attachment; filename="${reference}.jpg"`);
    res.type('image/jpeg').send(bytes);
  });

  // ---- deletion of the account ------------------------------------------------------------------
  const renderDelete = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const t = translator(res.locals.lang);
    const references = (extra.references as string[] | undefined) ?? await submittedReferences(em(), accountId(res));
    res.status(status).render('space/deleteAccount', {
      title: `${status >= 400 ? `${t('error.titlePrefix')} ` : ''}${t('privacy.delete.title')}`,
      identifier: (res.locals.parent as { identifier: string }).identifier,
      references, refused: references.length > 0, ...extra,
    });
  };
  r.get('/space/account/delete', signedIn, csrf.withCsrf, async (req, res) => { await renderDelete(req, res); });

  r.post('/space/account/delete', signedIn, urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const t = translator(res.locals.lang);
    const password = str((req.body as Record<string, unknown>)?.password);
    if (!password) { await renderDelete(req, res, { errors: { password: t('privacy.delete.passwordRequired') } }, 400); return; }
    if (password.length > 1024) { await renderDelete(req, res, { errors: { password: t('account.signIn.failed') } }, 400); return; }
    try {
      const result = await deleteAccount(em(), accountId(res), password, { guard: auth.guard, ip: req.ip ?? '' });
      if (!result.ok) { await renderDelete(req, res, { references: result.references }, 409); return; }
      req.session.regenerate((err) => (err ? next(err) : req.session.save(() => res.redirect(303, '/privacy/account-deleted'))));
    } catch (e) {
      if (e instanceof SignInRefused) {
        res.set('Retry-After', String(e.retryAfterSeconds));
        await renderDelete(req, res, { errors: { password: t(`signIn.throttled.${e.counter}`, { minutes: e.minutes, seconds: e.retryAfterSeconds }) } }, 429);
        return;
      }
      if (!(e instanceof AccountError)) throw e;
      await renderDelete(req, res, { errors: { password: t('privacy.delete.wrongPassword') } }, 401);
    }
  });

  r.get('/privacy/account-deleted', (_req, res) => {
    const t = translator(res.locals.lang);
    res.render('space/accountDeleted', { title: t('privacy.deleted.title') });
  });
  return r;
}
