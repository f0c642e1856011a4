/**
 * Parent pages: home, the residence and school chooser (works without JavaScript: each choice is a
 * server round trip), the pre-registration form, the confirmation with the reference, and the
 * status page.
 */
import { Router, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isReference, normalizeReference } from '../../domain/reference';
import { LEVELS, type Language, type Level } from '../../domain/types';
import { PreRegistration } from '../../entities';
import { findRequestForView, requestView, viewOfRequest, type Proof, type RequestForView, type TimelineEntry } from '../services/requestView';
import type { Csrf, RouteDeps } from '../app';
import { hasKey, translator } from '../i18n';
import * as map from '../services/schoolMap';
import { greenNumber, placeSearchModel } from './places';
import {
  DecisionRefused, errorsByField, storedSubmission, submitCorrection, withdrawPreRegistration,
} from '../services/preRegistrations';
import type { FieldError } from '../../domain/submission';
import { MAX_PHOTO_BYTES } from '../services/photos';
import { campaignWindow } from '../services/campaign';
import { APPROVED } from '../services/requestView';
import { todayInCasablanca } from '../../domain/dates';
import { formBody, photoForm } from '../http/bodies';
import { consentFor } from '../services/privacy';
import { DEFAULT_REQUIREMENTS, DOCUMENT_KINDS, type DocumentKind } from '../../domain/documents';
import { documentStore, keptDocumentIds, requirementsFor, submitWithDocuments, type FormDocuments } from '../services/documents';
import { formDocumentsModel } from './documentFields';
import type { PageCache } from '../views/engine';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The chooser's current selections, from the query string or the posted form. */
interface Chooser { level: Level; academy: string; directorate: string; commune: string; zone: string }

async function chooserModel(em: EntityManager, lang: Language, c: Chooser) {
  const academies = await map.academies(em, lang);
  const directorates = c.academy ? await map.directorates(em, lang, c.academy) : [];
  const communes = c.directorate ? await map.communes(em, lang, c.directorate) : [];
  const zones = c.commune ? await map.zones(em, lang, c.commune) : [];
  const schools = c.zone ? await map.schoolsForZone(em, lang, c.zone) : [];
  return {
    chooser: c, academies, directorates, communes, zones, schools,
    levels: LEVELS.map((l) => ({ value: l, label: `level.${l}` })),
    noZones: Boolean(c.commune) && zones.length === 0,
    noSchools: Boolean(c.zone) && schools.length === 0,
    demoNotice: schools.some((s) => s.isDemo) || zones.length > 0,
  };
}

export function parentRouter(deps: RouteDeps, csrf: Csrf): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  /** Multipart parsing of the form (before the CSRF check); a photo over the limit is flagged (a field message, every other field kept), not an error page. */
  const store = documentStore(deps.config);
  const documentFields = DOCUMENT_KINDS.map((k) => `documents[${k}]`);
  const photoUpload = photoForm({
    field: 'photo', maxFileBytes: MAX_PHOTO_BYTES, fields: 300, maxBodyBytes: 5 * MAX_PHOTO_BYTES + DOCUMENT_KINDS.length * store.maxBytes,
    documents: { fields: documentFields, maxFileBytes: store.maxBytes },
  });
  /** The supporting documents of a form post: the files by kind (or 'tooLarge') and the ids kept from an earlier try. */
  const formDocuments = (req: Request, body: Record<string, unknown>): FormDocuments => {
    const files: FormDocuments['files'] = {};
    for (const k of DOCUMENT_KINDS) { const f = req.documentFiles?.[`documents[${k}]`]; if (f !== undefined) files[k as DocumentKind] = f; }
    return { files, kept: keptDocumentIds(body) };
  };
  const urlencoded = formBody({ fields: 20 });

  r.get('/', csrf.withCsrf, (req, res) => {
    res.render('parent/home', { title: translator(res.locals.lang)('parent.home.title') });
  });

  r.get('/status', (req, res) => {
    const ref = normalizeReference(str(req.query.reference));
    if (!isReference(ref)) {
      res.status(400).render('parent/home', { lookupError: translator(res.locals.lang)('parent.status.badReference'), lookupValue: str(req.query.reference) });
      return;
    }
    res.redirect(303, `/pre-registrations/${encodeURIComponent(ref)}`);
  });

  r.get('/pre-registration/new', csrf.withCsrf, async (req, res) => {
    const lang = res.locals.lang;
    const q = req.query as Record<string, unknown>;
    const c: Chooser = {
      level: str(q.level) === 'preschool' ? 'preschool' : 'primary1',
      academy: str(q.academy), directorate: str(q.directorate), commune: str(q.commune), zone: str(q.zone),
    };
    const db = em();
    // A place found by typing (a zone chosen in the results): the whole chain from the school map.
    if (c.zone && !c.academy) {
      const chain = await map.zoneChain(db, c.zone);
      if (chain) Object.assign(c, { academy: chain.academy.code, directorate: chain.directorate.code, commune: chain.commune.code });
    }
    const search = await placeSearchModel(db, lang, q.place);
    // A change higher up the chain clears what is below it.
    const model = await chooserModel(db, lang, c);
    if (c.directorate && !model.directorates.some((d) => d.code === c.directorate)) { c.directorate = ''; c.commune = ''; c.zone = ''; }
    if (c.commune && !model.communes.some((d) => d.code === c.commune)) { c.commune = ''; c.zone = ''; }
    if (c.zone && !model.zones.some((d) => d.code === c.zone)) c.zone = '';
    const fixed = await chooserModel(db, lang, c);
    const year = await map.currentSchoolYear(db);
    const requirements = year ? await requirementsFor(db, year.code, c.level) : DEFAULT_REQUIREMENTS;
    res.status(search.status).render('parent/form', {
      ...fixed,
      placeSearch: {
        action: '/pre-registration/new', radioName: 'zone', current: c.zone, keep: [{ name: 'level', value: c.level }],
        query: search.query, search: search.search, error: search.error, max: map.PLACE_QUERY_MAX, greenNumber,
        hasZones: Boolean(search.search?.places.some((p) => p.zoneCode)),
      },
      documents: formDocumentsModel(requirements, {}, {}, store),
      title: translator(lang)('parent.form.title'),
      schoolYear: year?.code,
      showForm: Boolean(c.zone) && fixed.schools.length > 0,
      form: { level: c.level, residence: { communeCode: c.commune, residenceZoneCode: c.zone }, guardianRole: 'father', submissionToken: randomUUID(), siblings: [{}, {}] },
    });
  });

  r.post('/pre-registration', photoUpload, csrf.protect, csrf.withCsrf, async (req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = str(body.submissionToken) || randomUUID();
    const db = em();
    const upload = (req as Request & { photoTooLarge?: boolean }).photoTooLarge ? Buffer.alloc(MAX_PHOTO_BYTES + 1) : req.file?.buffer;
    // A photo accepted on an earlier try is kept by key (a file input cannot be refilled).
    const keptKey = /^[0-9a-f]{32}$/.test(str(body.photoKey)) ? str(body.photoKey) : '';
    const photo = upload && upload.length ? upload : keptKey ? { key: keptKey } : undefined;
    const result = await submitWithDocuments(
      { em: db, temporal: deps.temporal, starter: deps.starter, now: deps.clock(), store }, { ...body, language: lang }, photo, token, { keepPhotoOnError: true }, formDocuments(req, body),
    );
    if (result.ok) {
      // The session that submitted holds the file (it typed the certificate number and birth date): it sees
      // the details and the receipt with the names, as after the unlock. The same child's request already
      // filed (another tab, a second try): its status page, no second request.
      req.session.unlocked = [...new Set([...(req.session.unlocked ?? []), result.reference])].slice(-10);
      const target = `/pre-registrations/${encodeURIComponent(result.reference)}?${result.existing ? 'existing' : 'submitted'}=1`;
      req.session.save((err) => (err ? res.status(500).end() : res.redirect(303, target)));
      return;
    }
    body.photoKey = result.photoKey ?? '';
    const residence = (body.residence ?? {}) as Record<string, unknown>;
    const chain = await map.zoneChain(db, str(residence.residenceZoneCode));
    const c: Chooser = {
      level: str(body.level) === 'preschool' ? 'preschool' : 'primary1',
      academy: chain?.academy.code ?? '', directorate: chain?.directorate.code ?? '',
      commune: chain?.commune.code ?? '', zone: chain?.zone.code ?? '',
    };
    const model = await chooserModel(db, lang, c);
    const errors = errorsByField(result.errors, (k, p) => t(k, p ?? {}) as string);
    const siblings = Array.isArray(body.siblings) ? body.siblings : Object.values((body.siblings as object) ?? {});
    while (siblings.length < 2) siblings.push({});
    const requirements = await requirementsFor(db, str(body.schoolYear), c.level);
    res.status(400).render('parent/form', {
      ...model,
      documents: formDocumentsModel(requirements, errors, result.documents, store),
      title: `${t('error.titlePrefix')} ${t('parent.form.title')}`,
      schoolYear: str(body.schoolYear),
      showForm: true,
      form: { ...body, siblings, submissionToken: token },
      errors,
      errorList: result.errors.map((e) => ({ href: `#${e.field.replace(/\./g, '-')}`, message: `${summaryLabel(e.field, t)} — ${errors[e.field]}` })),
      photoError: errors.photo,
    });
  });

  /** The parent proves they hold the file: the birth certificate number unlocks edits in this session. */
  const unlocked = async (req: Request, reference: string) => Boolean(req.session.unlocked?.includes(reference))
    || Boolean(req.session.parentAccountId && (await em().count(PreRegistration, { reference, parentAccountId: req.session.parentAccountId })) > 0);

  /**
   * The birth certificate number proves the holder (the unlock service: one throttle with the API):
   * right → this session sees the details and may manage the request; wrong → the status page
   * says so with the tries left; locked → 429 with Retry-After and the time to wait.
   */
  r.post('/pre-registrations/:reference/unlock', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const reference = normalizeReference(String(req.params.reference));
    const db = em();
    const outcome = await deps.unlock.unlock(db, reference, str((req.body as Record<string, unknown>)?.birthCertificateNumber), req.ip ?? '');
    if (!outcome.ok && outcome.reason === 'notFound') {
      res.status(404).render('error', { title: translator(res.locals.lang)('parent.status.notFound.title'), message: translator(res.locals.lang)('parent.status.notFound.body') });
      return;
    }
    if (!outcome.ok && outcome.reason === 'wrong') {
      res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?unlock=failed&remaining=${outcome.remaining}#manage`);
      return;
    }
    if (!outcome.ok) {
      const pr = await findRequestForView(db, reference);
      if (!pr) { res.status(404).render('error', { title: translator(res.locals.lang)('parent.status.notFound.title'), message: translator(res.locals.lang)('parent.status.notFound.body') }); return; }
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      await renderStatus(req, res, db, pr, { lockedMinutes: Math.ceil(outcome.retryAfterSeconds / 60) }, 429);
      return;
    }
    req.session.unlocked = [...new Set([...(req.session.unlocked ?? []), reference])].slice(-10);
    // Saved before redirecting: the next page must see the unlocked session.
    req.session.save((err) => (err ? next(err) : res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}#manage`)));
  });

  /** The withdrawal's confirmation page: what it ends, then a POST with the CSRF token (the one withdraw service). */
  r.get('/pre-registrations/:reference/withdraw', csrf.withCsrf, async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    const db = em();
    const pr = isReference(reference) ? await db.findOne(PreRegistration, { reference }, { populate: ['school'] }) : null;
    if (!pr || !(await unlocked(req, reference))) { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}#manage`); return; }
    if (!WITHDRAWABLE.includes(pr.status)) { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?refused=cannotWithdraw#manage`); return; }
    res.render('parent/withdraw', await withdrawalModel(db, pr, res.locals.lang, {
      action: `/pre-registrations/${encodeURIComponent(reference)}/withdraw`, back: `/pre-registrations/${encodeURIComponent(reference)}#manage`,
    }));
  });

  r.post('/pre-registrations/:reference/withdraw', urlencoded, csrf.protect, async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    if (!(await unlocked(req, reference))) { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}#manage`); return; }
    // Only from the confirmation page: a form without the confirmation goes there first.
    if ((req.body as Record<string, unknown> | undefined)?.confirm !== 'yes') { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}/withdraw`); return; }
    try {
      await withdrawPreRegistration(deps.temporal, reference);
      res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?withdrawn=1`);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?refused=${err.code}#manage`);
    }
  });

  const renderCorrection = async (req: Request, res: Response, reference: string, form: Record<string, unknown>, errors?: FieldError[], status = 200) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const pr = await db.findOneOrFail(PreRegistration, { reference });
    const residence = (form.residence ?? {}) as Record<string, unknown>;
    const chain = await map.zoneChain(db, str(residence.residenceZoneCode));
    const c: Chooser = { level: pr.level, academy: chain?.academy.code ?? '', directorate: chain?.directorate.code ?? '', commune: chain?.commune.code ?? '', zone: chain?.zone.code ?? '' };
    const model = await chooserModel(db, lang, c);
    const byField = errors ? errorsByField(errors, (k, p) => t(k, p ?? {}) as string) : undefined;
    const siblings = Array.isArray(form.siblings) ? [...form.siblings] : Object.values((form.siblings as object) ?? {});
    while (siblings.length < 2) siblings.push({});
    res.status(status).render('parent/form', {
      ...model,
      title: `${errors ? `${t('error.titlePrefix')} ` : ''}${t('parent.correct.title')}`,
      correction: { reference, message: pr.correctionMessage },
      schoolYear: pr.schoolYear,
      showForm: true,
      formAction: `/pre-registrations/${encodeURIComponent(reference)}/correct`,
      form: { ...form, siblings },
      errors: byField,
      errorList: errors?.map((e) => ({ href: `#${e.field.replace(/\./g, '-')}`, message: `${summaryLabel(e.field, t)} — ${byField![e.field]}` })),
      photoError: byField?.photo,
    });
  };

  r.get('/pre-registrations/:reference/correct', csrf.withCsrf, async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await em().findOne(PreRegistration, { reference }) : null;
    if (!pr || !(await unlocked(req, reference)) || pr.status !== 'correctionRequested') { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}#manage`); return; }
    await renderCorrection(req, res, reference, storedSubmission(pr));
  });

  r.post('/pre-registrations/:reference/correct', photoUpload, csrf.protect, csrf.withCsrf, async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    if (!(await unlocked(req, reference))) { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}#manage`); return; }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const photo = (req as Request & { photoTooLarge?: boolean }).photoTooLarge ? Buffer.alloc(MAX_PHOTO_BYTES + 1) : req.file?.buffer;
    try {
      const result = await submitCorrection({ em: em(), temporal: deps.temporal, now: deps.clock() }, reference, { ...body, language: res.locals.lang }, photo);
      if (result.ok) { res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?corrected=1`); return; }
      await renderCorrection(req, res, reference, body, result.errors, 400);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/pre-registrations/${encodeURIComponent(reference)}?refused=${err.code}#manage`);
    }
  });

  /** The request named by `:reference`, or null after rendering the "not found" page. */
  const requestOr404 = async (db: EntityManager, req: Request, res: Response): Promise<PreRegistration | null> => {
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await db.findOne(PreRegistration, { reference }) : null;
    if (!pr) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('parent.status.notFound.title'), message: t('parent.status.notFound.body') });
    }
    return pr;
  };

  /** What this reader proved: the certificate number in this session, or the signed-in parent who owns it. */
  const proofOf = async (req: Request, pr: Pick<PreRegistration, 'reference' | 'parentAccountId'>): Promise<Proof> => {
    if (req.session.unlocked?.includes(pr.reference)) return 'certificate';
    if (req.session.parentAccountId && pr.parentAccountId === req.session.parentAccountId) return 'owner';
    return 'none';
  };

  /** A printable receipt (إيصال) with the reference: the status and dates; what was filed where after proof. */
  r.get('/pre-registrations/:reference/receipt', async (req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const pr = await requestOr404(db, req, res);
    if (!pr) return;
    const v = await requestView(db, pr, await proofOf(req, pr));
    const d = v.details;
    res.render('parent/receipt', {
      title: `${t('receipt.title')} ${pr.reference}`,
      pr: {
        reference: v.reference, level: v.level, schoolYear: v.schoolYear, submittedAt: v.submittedAt, status: v.status,
        decisionDueOn: v.decisionDueOn, originalsDueBy: v.originalsDueBy,
        ...(d ? {
          schoolName: lang === 'ar' ? d.school.nameAr : d.school.nameFr, schoolCode: d.school.code,
          schoolAddress: lang === 'ar' ? d.school.addressAr : d.school.addressFr,
          childFirstName: lang === 'ar' ? d.childFirstNameAr : d.childFirstNameLatin,
          childFullNameAr: `${d.child.firstNameAr} ${d.child.lastNameAr}`.trim(),
          childFullNameLatin: `${d.child.firstNameLatin} ${d.child.lastNameLatin}`.trim(),
          birthDate: d.child.birthDate,
          guardianRole: d.guardian.role,
          guardianName: (lang === 'ar' ? `${d.guardian.firstNameAr} ${d.guardian.lastNameAr}` : `${d.guardian.firstNameLatin} ${d.guardian.lastNameLatin}`).trim(),
        } : {}),
      },
      approved: (APPROVED as readonly string[]).includes(v.status),
      documents: ORIGINAL_DOCUMENTS,
      proved: Boolean(v.details),
      consent: v.details ? await consentFor(db, pr.id) : null,
      printedAt: new Date(),
    });
  });

  /** The status page: status, dates and timeline for anyone with the reference; the details after proof. */
  const renderStatus = async (req: Request, res: Response, db: EntityManager, pr: RequestForView, extra: { lockedMinutes?: number } = {}, status = 200) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const v = await viewOfRequest(db, pr, await proofOf(req, pr));
    const d = v.details;
    const remaining = Number.parseInt(str(req.query.remaining), 10);
    res.status(status).render('parent/status', {
      title: t('parent.status.title'),
      submitted: req.query.submitted === '1',
      existing: req.query.existing === '1',
      pr: {
        reference: v.reference, status: v.status, level: v.level, schoolYear: v.schoolYear, submittedAt: v.submittedAt,
        decisionDueOn: v.decisionDueOn, originalsDueBy: v.originalsDueBy,
        ...(d ? {
          schoolName: lang === 'ar' ? d.school.nameAr : d.school.nameFr, schoolCode: d.school.code,
          schoolAddress: lang === 'ar' ? d.school.addressAr : d.school.addressFr,
          childFirstName: lang === 'ar' ? d.childFirstNameAr : d.childFirstNameLatin, massarCode: d.massarCode, decisionNote: d.decisionNote,
        } : {}),
      },
      proved: Boolean(d),
      consent: d ? await consentFor(db, pr.id) : null,
      reasons: d ? d.rejectionReasons.map((x) => (lang === 'ar' ? x.textAr : x.textFr)) : [],
      events: v.timeline.map((e) => ({ at: e.at, label: eventLabel(e), status: e.status })),
      nextStep: `parent.status.next.${v.status}`,
      decisionLate: Boolean(v.decisionDueOn && v.decisionDueOn < todayInCasablanca(deps.clock())),
      approved: (APPROVED as readonly string[]).includes(v.status),
      documents: ORIGINAL_DOCUMENTS,
      correctionMessage: d?.correctionMessage ?? null,
      canManage: ['submitted', 'underReview', 'correctionRequested'].includes(v.status),
      canCorrect: v.status === 'correctionRequested',
      unlocked: Boolean(d),
      unlockFailed: req.query.unlock === 'failed',
      unlockRemaining: req.query.unlock === 'failed' && Number.isInteger(remaining) && remaining > 0 && remaining < 100 ? String(remaining) : null,
      lockedMinutes: extra.lockedMinutes ? String(extra.lockedMinutes) : null,
      flash: req.query.withdrawn === '1' ? 'parent.manage.withdrawnDone' : req.query.corrected === '1' ? 'parent.manage.correctedDone' : req.query.edited === '1' ? 'space.edited' : req.query.existing === '1' ? 'parent.status.existing' : typeof req.query.refused === 'string' ? `decision.refused.${/^[a-zA-Z]+$/.test(req.query.refused) ? req.query.refused : 'workflowEnded'}` : null,
      // Read without proof (the page read most on a deadline day): kept by its whole model and
      // served again while nothing shown changes; the CSRF token is the visitor's own each time.
      ...(d ? {} : { pageCache: { perVisitor: ['csrfToken'] } satisfies PageCache }),
    });
  };

  r.get('/pre-registrations/:reference', csrf.withCsrf, async (req, res) => {
    const db = em();
    // One indexed query (request + timeline), no entity: the page read most on a deadline day.
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await findRequestForView(db, reference) : null;
    if (!pr) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('parent.status.notFound.title'), message: t('parent.status.notFound.body') });
      return;
    }
    await renderStatus(req, res, db, pr);
  });
  return r;
}

/** Statuses a parent may still withdraw (before any decision). */
const WITHDRAWABLE: readonly string[] = ['submitted', 'underReview', 'correctionRequested'];

/** The originals to bring to the school after approval (catalogue keys), in the order of the circular. */
export const ORIGINAL_DOCUMENTS = ['after.document.birthCertificate', 'after.document.guardianCin', 'after.document.residence', 'after.document.receipt'];

/**
 * The withdrawal confirmation page's model (status page and parents' space alike): the request,
 * the child and school, and until when a new request may be filed (the campaign window's end).
 */
export async function withdrawalModel(db: EntityManager, pr: PreRegistration, lang: Language, links: { action: string; back: string }) {
  const t = translator(lang);
  const window = await campaignWindow(db, pr.schoolYear, pr.level);
  return {
    title: t('withdraw.title'), ...links,
    reference: pr.reference,
    childName: lang === 'ar' ? pr.childFirstNameAr : pr.childFirstNameLatin,
    schoolName: lang === 'ar' ? pr.school.nameAr : pr.school.nameFr,
    closesOn: window?.closesOn ?? null,
  };
}

function eventLabel(e: TimelineEntry): string {
  if (e.type === 'status') return `timeline.status.${e.status}`;
  if (e.type === 'notification') return `timeline.notification.${String(e.channel)}`;
  return `timeline.${e.type}`;
}

const SECTIONS: Record<string, string> = {
  child: 'parent.form.childStep', civilStatus: 'parent.form.civilStatusStep', father: 'parent.form.father', mother: 'parent.form.mother',
  tutor: 'parent.form.tutor', residence: 'field.residenceZone', schoolCode: 'field.school', photo: 'field.photo', guardianRole: 'field.guardianRole',
  level: 'field.level', schoolYear: 'parent.form.schoolYear', privacyNoticeVersion: 'privacy.consent.summary', documents: 'document.section',
};

/** Names the field of an error for the summary at the top: "Le père — Téléphone", "Frère ou sœur 2 — Date de naissance". */
export function summaryLabel(field: string, t: (key: string) => string): string {
  const parts = field.split('.');
  const last = parts[parts.length - 1];
  if (parts.length === 1 && !SECTIONS[field] && hasKey('ar', `field.${field}`)) return t(`field.${field}`); // a question of its own (hasSiblings)
  const label = parts.length > 1 && hasKey('ar', `field.${last}`) ? t(`field.${last}`) : '';
  const section = parts[0] === 'siblings' && /^\d+$/.test(parts[1] ?? '')
    ? `${t('parent.form.sibling')} ${Number(parts[1]) + 1}`
    : SECTIONS[parts[0]] ? t(SECTIONS[parts[0]]) : '';
  return [section, label].filter(Boolean).join(' — ') || field;
}
