/**
 * Campaign messages, two routers over web/services/campaignMessages.ts:
 * - staff (`/staff/campaigns`, supervisors and administrators; directors 403): the list with the
 *   progress of each message and the compose form (`GET /`), compose → a draft with its recipients
 *   counted and SMS segments and cost estimated (`POST /` → 303 `/:id`), the draft's page with its
 *   confirmation or the progress of its sending (`GET /:id`), confirm and send (`POST /:id/send`);
 * - public (`/campaign`): the campaign page of a school year (`/:year`, e.g. `/campaign/2027-2028`)
 *   and the opt-out of campaign messages through the signed link of a message (`/stop/:token`,
 *   confirmed with a button; no sign-in).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { StaffUser } from '../../entities';
import type { Csrf, RouteDeps } from '../app';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { formBody } from '../http/bodies';
import { sendError } from '../http/errors';
import { translator } from '../i18n';
import {
  CAMPAIGN_AUDIENCES, CAMPAIGN_CHANNELS, CAMPAIGN_KINDS, displayDate, type CampaignKind,
} from '../../domain/campaignMessages';
import {
  CampaignScopeError, campaignMessageInScope, canSendCampaigns, composeCampaignMessage, composeChoices, confirmCampaignMessage, estimateCampaign,
  listCampaignMessages, optOutOfCampaigns, publicCampaign, sampleMessage, validOptOutToken, type CampaignMessageView,
} from '../services/campaignMessages';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** `2550` centimes → `25.50` (dirhams, two decimals). */
export const dirhams = (centimes: number) => `${Math.floor(centimes / 100)}.${String(centimes % 100).padStart(2, '0')}`;

function rowOf(m: CampaignMessageView) {
  const done = m.progress.sent + m.progress.failed + m.progress.optedOut;
  const total = m.recipients ?? m.estimatedRecipients;
  return {
    ...m, kindKey: `campaign.kind.${m.kind}`, audienceKey: `campaign.audience.${m.audience}`, channelKey: `campaign.channel.${m.channel}`,
    statusKey: `campaign.status.${m.status}`, cost: dirhams(m.estimatedCostCentimes), done, total,
    percent: total > 0 ? Math.floor((done * 100) / total) : m.status === 'sent' ? 100 : 0,
    scopeCode: m.directorateCode ?? m.academyCode ?? '',
  };
}

/** The staff router, mounted at `/staff/campaigns`. */
export function campaignStaffRouter(deps: RouteDeps, csrf: Csrf): Router {
  const r = Router();
  const requireStaff = requireStaffMiddleware(deps.orm);
  const em = () => deps.orm.em.fork();
  const form = formBody({ fields: 12 });
  const sendersOnly = (req: Request, res: Response, next: NextFunction) => {
    if (canSendCampaigns((req as StaffRequest).staff)) { next(); return; }
    sendError(req, res, 403, 'error.forbidden');
  };

  const renderIndex = async (req: Request, res: Response, status: number, form: Record<string, string>, errors: Record<string, string>) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const choices = await composeChoices(db, user, deps.clock());
    const current = choices.years.find((y) => y.isCurrent) ?? choices.years[0];
    const name = (x: { nameAr: string; nameFr: string }) => (lang === 'ar' ? x.nameAr : x.nameFr);
    res.status(status).render('campaigns/index', {
      title: t('campaign.staff.title'),
      scope: scopeName(user, lang),
      form: { schoolYear: current?.code ?? '', kind: 'reminder', audience: 'unfinishedDrafts', channel: 'any', directorate: choices.fixedDirectorate ?? '', ...form },
      errors, errorList: Object.entries(errors).map(([field, message]) => ({ href: `#${field}`, message })),
      years: choices.years.map((y) => ({ code: y.code, label: `${y.code} (${displayDate(y.opensOn)} – ${displayDate(y.closesOn)})` })),
      kinds: CAMPAIGN_KINDS.map((k) => ({ value: k, label: `campaign.kind.${k}` })),
      audiences: CAMPAIGN_AUDIENCES.map((k) => ({ value: k, label: `campaign.audience.${k}` })),
      channels: CAMPAIGN_CHANNELS.map((k) => ({ value: k, label: `campaign.channel.${k}` })),
      directorates: choices.directorates.map((d) => ({ code: d.code, name: `${name(d)} (${d.code})` })),
      directorateFixed: Boolean(choices.fixedDirectorate),
      allLabel: user.role === 'administrator' ? 'campaign.target.everything' : 'campaign.target.wholeAcademy',
      messages: (await listCampaignMessages(db, user)).map(rowOf),
    });
  };

  r.get('/', requireStaff, sendersOnly, csrf.withCsrf, async (req, res) => {
    await renderIndex(req, res, 200, {}, {});
  });

  r.post('/', requireStaff, sendersOnly, form, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const t = translator(res.locals.lang);
    let result: Awaited<ReturnType<typeof composeCampaignMessage>>;
    try {
      result = await composeCampaignMessage(em(), deps.config, user, body, deps.clock(), req.ip);
    } catch (err) {
      if (err instanceof CampaignScopeError) { sendError(req, res, 403, 'campaign.error.scope', {}, 'error.forbidden.title'); return; }
      throw err;
    }
    if ('errors' in result) {
      const typed = Object.fromEntries(['schoolYear', 'kind', 'audience', 'channel', 'directorate'].map((k) => [k, str(body[k]).slice(0, 20)]));
      await renderIndex(req, res, 400, typed, Object.fromEntries(result.errors.map((e) => [e.field, t(e.code)])));
      return;
    }
    res.redirect(303, `/staff/campaigns/${result.id}`);
  });

  r.get('/:id', requireStaff, sendersOnly, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const m = await campaignMessageInScope(em(), user, str(req.params.id));
    if (!m) { sendError(req, res, 404, 'error.notFound'); return; }
    const year = { code: m.schoolYear, opensOn: m.opensOn, closesOn: m.closesOn, isCurrent: false };
    const samples = (['ar', 'fr'] as const).map((l) => {
      const s = sampleMessage(deps.config, m.kind as CampaignKind, year, m.daysLeft, l);
      return { lang: l, dir: l === 'ar' ? 'rtl' : 'ltr', subject: s.subject, sms: s.sms, label: `campaign.language.${l}` };
    });
    const counts = await campaignCounts(m);
    res.render('campaigns/message', {
      title: t('campaign.message.title'), m: rowOf(m), samples, counts,
      segmentCost: dirhams(deps.config.CAMPAIGN_SMS_SEGMENT_COST_CENTIMES),
      isDraft: m.status === 'draft',
    });
  });

  /** The estimate's counts per language and channel, recomputed for the draft's page (same SQL as the sending). */
  async function campaignCounts(m: CampaignMessageView) {
    const est = await estimateCampaign(em(), deps.config, {
      schoolYear: m.schoolYear, audience: m.audience, channel: m.channel, directorateCode: m.directorateCode, academyCode: m.academyCode,
    }, m.kind, { code: m.schoolYear, opensOn: m.opensOn, closesOn: m.closesOn, isCurrent: false }, m.daysLeft);
    return {
      ar: { ...est.counts.ar, segments: est.segments.ar, encoding: est.encoding.ar },
      fr: { ...est.counts.fr, segments: est.segments.fr, encoding: est.encoding.fr },
    };
  }

  r.post('/:id/send', requireStaff, sendersOnly, form, csrf.protect, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const id = str(req.params.id);
    const ok = await confirmCampaignMessage(em(), deps.temporal.client, deps.config, user, id, deps.clock(), req.ip);
    if (!ok) {
      const m = await campaignMessageInScope(em(), user, id);
      if (!m) { sendError(req, res, 404, 'error.notFound'); return; }
      sendError(req, res, 409, 'campaign.error.alreadySent', {}, 'campaign.error.alreadySent.title');
      return;
    }
    res.redirect(303, `/staff/campaigns/${id}`);
  });

  return r;
}

function scopeName(user: StaffUser, lang: string): string {
  const n = (x?: { nameAr: string; nameFr: string } | null) => (x ? (lang === 'ar' ? x.nameAr : x.nameFr) : '');
  return user.role === 'provincialSupervisor' ? n(user.directorate) : user.role === 'academySupervisor' ? n(user.academy) : '';
}

/** The public router, mounted at `/campaign`. */
export function campaignPublicRouter(deps: RouteDeps, csrf: Csrf): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  const form = formBody({ fields: 4 });
  const secret = deps.config.SESSION_SECRET;

  r.get('/stop/:token', csrf.withCsrf, (req, res) => {
    const token = str(req.params.token);
    if (!validOptOutToken(secret, token)) { sendError(req, res, 404, 'campaign.error.badLink', {}, 'campaign.optOut.title'); return; }
    res.render('campaigns/optOut', { title: translator(res.locals.lang)('campaign.optOut.title'), token, bilingual: bilingual(res.locals.lang, ['campaign.optOut.title', 'campaign.optOut.ask']) });
  });

  r.post('/stop/:token', form, csrf.protect, async (req, res) => {
    const token = str(req.params.token);
    if (!(await optOutOfCampaigns(em(), secret, token, deps.clock()))) { sendError(req, res, 404, 'campaign.error.badLink', {}, 'campaign.optOut.title'); return; }
    res.render('campaigns/optedOut', { title: translator(res.locals.lang)('campaign.optOut.done.title'), bilingual: bilingual(res.locals.lang, ['campaign.optOut.done.title', 'campaign.optOut.done.body']) });
  });

  r.get('/:year', async (req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const c = await publicCampaign(em(), str(req.params.year), deps.clock());
    if (!c) { sendError(req, res, 404, 'error.notFound'); return; }
    res.render('campaigns/public', {
      title: t('campaign.public.title', { schoolYear: c.year.code }),
      c, opensOn: displayDate(c.year.opensOn), closesOn: displayDate(c.year.closesOn),
      statusKey: `campaign.public.status.${c.status}`,
      levels: c.levels.map((l) => ({
        levelKey: `level.${l.level}`, opensOn: displayDate(l.opensOn), closesOn: displayDate(l.closesOn),
        eligible: l.eligibleBornOnOrBefore ? displayDate(l.eligibleBornOnOrBefore) : null,
        toleranceFrom: l.toleranceBornFrom ? displayDate(l.toleranceBornFrom) : null,
        toleranceTo: l.toleranceBornTo ? displayDate(l.toleranceBornTo) : null,
      })),
      open: c.status === 'open',
    });
  });

  return r;
}

/** The same strings in both languages, for the opt-out pages (the recipient may read either). */
function bilingual(first: 'ar' | 'fr', keys: string[]) {
  return (first === 'fr' ? ['fr', 'ar'] as const : ['ar', 'fr'] as const).map((l) => ({ lang: l, dir: l === 'ar' ? 'rtl' : 'ltr', texts: keys.map((k) => translator(l)(k)) }));
}
