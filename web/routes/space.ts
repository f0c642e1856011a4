/**
 * The parents' space (الفضاء الخاص بأولياء التلاميذ), for a signed-in parent: their children's
 * drafts and requests; the pre-registration form in steps (child, civil status, siblings, parents
 * and guardian, residence and school, photo, review), each step saved as a draft resumable on any
 * device; editing a submitted request until the school opens it (or when the school asks for a
 * correction); withdrawal. Every step is a plain form: no JavaScript needed.
 */
import { Router, type Request, type Response } from 'express';
import { canAskRectification, helpRequestsOfParent } from '../services/helpRequests';
import type { EntityManager } from '@mikro-orm/postgresql';
import { gregorianToHijri } from '../../domain/hijri';
import type { FieldError } from '../../domain/submission';
import { isIsoDate } from '../../domain/dates';
import { normalizeReference } from '../../domain/reference';
import { LEVELS, type Language } from '../../domain/types';
import { ParentAccount, Photo, PreRegistration, PreRegistrationDraft, School } from '../../entities';
import type { Csrf, RouteDeps } from '../app';
import { translator } from '../i18n';
import { requireParent } from './account';
import { summaryLabel, withdrawalModel } from './parent';
import * as map from '../services/schoolMap';
import { greenNumber, placeSearchModel, shownPlace, type PlaceSearchModel } from './places';
import { MAX_PHOTO_BYTES, normalizePhoto, storePhoto } from '../services/photos';
import { profileFrom } from '../services/accounts';
import { formBody, photoForm } from '../http/bodies';
import { CONSENT_FIELD } from '../services/privacy';
import {
  DecisionRefused, canParentEdit, errorsByField, submitCorrection, submitParentEdit, submitPreRegistration, withdrawPreRegistration,
} from '../services/preRegistrations';
import {
  STEPS, computedHijriOf, copyFromPrevious, draftErrors, draftToRaw, editDraft, isStep, mergeStep, newDraft, prefillGuardianContact, previousChild, stepOfField, type Step,
} from '../services/drafts';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const ACTIVE = ['submitted', 'underReview', 'correctionRequested'];

export function spaceRouter(deps: RouteDeps, csrf: Csrf): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  const signedIn = requireParent(deps);
  const urlencoded = formBody({ fields: 400 });
  const photoUpload = photoForm({ field: 'photo', maxFileBytes: MAX_PHOTO_BYTES, fields: 20, maxBodyBytes: 5 * MAX_PHOTO_BYTES });
  const accountOf = (db: EntityManager, res: Response) => db.findOneOrFail(ParentAccount, { id: (res.locals.parent as { id: string }).id });
  const loadDraft = async (db: EntityManager, req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    return db.findOne(PreRegistrationDraft, { id, account: (res.locals.parent as { id: string }).id, submittedAt: null });
  };
  const notFound = (res: Response) => {
    const t = translator(res.locals.lang);
    res.status(404).render('error', { title: t('space.draftNotFound.title'), message: t('space.draftNotFound.body') });
  };

  // ---- the space: children, drafts and requests ------------------------------------------------
  r.get('/', signedIn, csrf.withCsrf, async (req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const accountId = (res.locals.parent as { id: string }).id;
    const drafts = await db.find(PreRegistrationDraft, { account: accountId, submittedAt: null, reference: null }, { orderBy: { updatedAt: 'desc' } });
    const requests = await db.find(PreRegistration, { parentAccountId: accountId }, { orderBy: { submittedAt: 'desc' }, populate: ['school'] });
    res.render('space/home', {
      title: t('space.title'),
      flash: req.query.reset === '1' ? 'account.reset.done' : req.query.saved === '1' ? 'space.saved' : req.query.deleted === '1' ? 'space.deleted' : req.query.withdrawn === '1' ? 'parent.manage.withdrawnDone' : req.query.edited === '1' ? 'space.edited' : undefined,
      refused: typeof req.query.refused === 'string' && /^[a-zA-Z]+$/.test(req.query.refused) ? `decision.refused.${req.query.refused}` : undefined,
      drafts: drafts.map((d) => {
        const child = obj(d.data.child);
        return {
          id: d.id, step: d.step, stepNumber: STEPS.indexOf(d.step as Step) + 1, updatedAt: d.updatedAt,
          childName: [str(lang === 'ar' ? child.firstNameAr : child.firstNameLatin), str(lang === 'ar' ? child.lastNameAr : child.lastNameLatin)].filter(Boolean).join(' '),
        };
      }),
      stepCount: STEPS.length,
      requests: requests.map((p) => ({
        reference: p.reference, status: p.status, submittedAt: p.submittedAt, schoolYear: p.schoolYear, level: p.level,
        childName: lang === 'ar' ? `${p.childFirstNameAr} ${p.childLastNameAr}` : `${p.childFirstNameLatin} ${p.childLastNameLatin}`,
        schoolName: lang === 'ar' ? p.school.nameAr : p.school.nameFr,
        canEdit: canParentEdit(p) || p.status === 'correctionRequested',
        correction: p.status === 'correctionRequested',
        canWithdraw: ACTIVE.includes(p.status),
        canRectify: canAskRectification(p),
      })),
      helpRequests: await helpRequestsOfParent(db, accountId, deps.config.SESSION_SECRET),
    });
  });

  r.post('/drafts', signedIn, urlencoded, csrf.protect, async (req, res) => {
    const db = em();
    const account = await accountOf(db, res);
    const year = await map.currentSchoolYear(db);
    const draft = newDraft(db, account, year?.code ?? '', res.locals.lang);
    await db.flush();
    res.redirect(303, `/space/drafts/${draft.id}/child`);
  });

  r.post('/drafts/:id/delete', signedIn, urlencoded, csrf.protect, async (req, res) => {
    const db = em();
    const draft = await loadDraft(db, req, res);
    if (!draft) { notFound(res); return; }
    await db.remove(draft).flush();
    res.redirect(303, '/space?deleted=1');
  });

  r.get('/drafts/:id/photo.jpg', signedIn, async (req, res) => {
    const db = em();
    const draft = await loadDraft(db, req, res);
    const photo = draft?.photoKey ? await db.findOne(Photo, { key: draft.photoKey }, { populate: ['bytes'] }) : null;
    if (!photo) { res.status(404).end(); return; }
    res.set({ 'Content-Type': photo.contentType, 'Cache-Control': 'private, no-store' }).send(photo.bytes);
  });

  // ---- one step ----------------------------------------------------------------------------------
  const renderStep = async (req: Request, res: Response, draft: PreRegistrationDraft, step: Step, opts: { errors?: FieldError[]; status?: number; flash?: string; search?: PlaceSearchModel } = {}) => {
    const lang: Language = res.locals.lang;
    const t = translator(lang);
    const db = em();
    // The residence is one field now (the place found by typing): its commune's error is the place's.
    const errors = (opts.errors ?? []).map((e) => (e.field.startsWith('residence.') ? { ...e, field: 'residence.residenceZoneCode' } : e))
      .filter((e, i, all) => !e.field.startsWith('residence.') || all.findIndex((x) => x.field === e.field) === i);
    const byField = errors.length ? errorsByField(errors, (k, p) => t(k, p ?? {}) as string) : undefined;
    const data = draft.data;
    const model: Record<string, unknown> = {};
    if (step === 'school') {
      const residence = obj(data.residence) as Record<string, string>;
      const zoneCode = str(residence.residenceZoneCode);
      const chosen = zoneCode ? await map.placeOfZone(db, lang, zoneCode) : null;
      const found = opts.search ?? { status: 200, query: '', search: null, error: null };
      model.chosenPlace = chosen ? shownPlace(chosen) : null;
      model.placeSearch = {
        action: `/space/drafts/${draft.id}/school`, radioName: 'residence[residenceZoneCode]', current: zoneCode, keep: [],
        query: found.query, search: found.search, error: found.error, max: map.PLACE_QUERY_MAX, greenNumber,
        hasZones: Boolean(found.search?.places.some((p) => p.zoneCode)),
      };
      model.greenNumber = greenNumber;
      model.schools = chosen ? await map.schoolsForZone(db, lang, zoneCode) : [];
      model.otherSchools = chosen ? await map.otherSchools(db, lang, chosen.directorateCode, zoneCode) : [];
      model.demoNotice = (model.schools as Array<{ isDemo: boolean }>).some((s) => s.isDemo);
      const zoneSchools = model.schools as Array<{ code: string }>;
      // A zone served by one school: that school is chosen unless the parent picked another one.
      model.schoolPick = data.schoolChoice === 'other' ? 'other' : str(data.schoolCode) || (zoneSchools.length === 1 ? zoneSchools[0].code : '');
    }
    if (step === 'civilStatus') {
      model.computedHijri = computedHijriOf(data);
      model.birthDate = str(obj(data.civilStatus).birthDate);
    }
    if (step === 'child' && !draft.reference) {
      const child = obj(data.child);
      // A second child: offered to reuse the previous one's family name, lineage and place of birth.
      if (!str(child.lastNameAr) && !str(child.lastNameLatin)) model.previous = await previousChild(db, await accountOf(db, res), draft.id, lang);
    }
    if (step === 'parents') {
      const role = str(data.guardianRole);
      model.guardianIs = { father: role === 'father', mother: role === 'mother', tutor: role === 'tutor' };
    }
    if (step === 'siblings') {
      const siblings = Array.isArray(data.siblings) ? data.siblings : [];
      if (siblings.length === 0) data.siblings = [{}];
    }
    // The place's error shows at the search field (the residence is found by typing).
    const search = model.placeSearch as { error: unknown } | undefined;
    if (search && !search.error && byField?.['residence.residenceZoneCode']) search.error = { message: byField['residence.residenceZoneCode'] };
    res.status(opts.status ?? 200).render(`space/step`, {
      ...model,
      title: `${errors.length ? `${t('error.titlePrefix')} ` : ''}${t(`space.step.${step}`)} — ${t('space.form.title')}`,
      draftId: draft.id, step, [`is_${step}`]: true,
      editing: draft.reference, levelFixed: Boolean(draft.reference),
      steps: STEPS.map((s, i) => ({ name: s, number: i + 1, current: s === step, reachable: STEPS.indexOf(s) <= Math.max(STEPS.indexOf(draft.step as Step), STEPS.indexOf(step)) })),
      stepNumber: STEPS.indexOf(step) + 1, stepCount: STEPS.length,
      form: data, errors: byField,
      errorList: errors.map((e) => ({ href: `#${e.field.replace(/\./g, '-')}`, message: `${summaryLabel(e.field, (k) => t(k) as string)} — ${byField![e.field]}` })),
      levels: LEVELS.map((l) => ({ value: l, label: `level.${l}` })),
      yesNo: [{ value: 'yes', label: 'choice.yes' }, { value: 'no', label: 'choice.no' }],
      hasPhoto: Boolean(draft.photoKey), photoVersion: draft.photoKey?.slice(0, 8),
      flash: opts.flash,
    });
  };

  r.get('/drafts/:id/:step', signedIn, csrf.withCsrf, async (req, res) => {
    const db = em();
    const draft = await loadDraft(db, req, res);
    const step = String(req.params.step);
    if (!draft || !isStep(step)) { notFound(res); return; }
    if (step === 'review') { await renderReview(req, res, draft); return; }
    const search = step === 'school' ? await placeSearchModel(db, res.locals.lang, req.query.place) : undefined;
    await renderStep(req, res, draft, step, { search, status: search?.status, flash: req.query.saved === '1' ? 'space.saved' : req.query.saved === 'photo' ? 'space.photoSaved' : undefined });
  });

  /** Saves what a step posted; then moves on (when the step is valid), back, or stays. */
  const saveStep = async (req: Request, res: Response) => {
    const db = em();
    const draft = await loadDraft(db, req, res);
    const step = String(req.params.step ?? 'photo'); // the photo step has its own (multipart) route
    if (!draft || !isStep(step) || step === 'review') { notFound(res); return; }
    const body = obj(req.body);
    const action = str(body.action) || 'next';
    let flash: string | undefined;
    let placeChanged = false;
    if (step === 'school') {
      // The place found by typing: a residence zone posted sets the whole chain (academy, directorate,
      // commune) from the school map; none posted keeps the place already chosen.
      const lang: Language = res.locals.lang;
      const before = obj(draft.data.residence) as Record<string, string>;
      const zoneCode = str(obj(body.residence).residenceZoneCode);
      const chain = zoneCode ? await map.zoneChain(db, zoneCode) : null;
      const after = chain
        ? { academy: chain.academy.code, directorate: chain.directorate.code, communeCode: chain.commune.code, residenceZoneCode: chain.zone.code }
        : { academy: str(before.academy), directorate: str(before.directorate), communeCode: str(before.communeCode), residenceZoneCode: str(before.residenceZoneCode) };
      placeChanged = after.residenceZoneCode !== str(before.residenceZoneCode);
      body.residence = after;
      const inList = async (list: Promise<Array<{ code: string }>>, code: string) => (await list).some((x) => x.code === code);
      const pick = str(body.schoolPick);
      body.schoolChoice = pick === 'other' ? 'other' : 'zone';
      body.schoolCode = pick === 'other' ? '' : pick;
      body.otherSchoolCode = pick === 'other' ? str(body.otherSchoolCode) : '';
      if (body.schoolCode && !(after.residenceZoneCode && await inList(map.schoolsForZone(db, lang, after.residenceZoneCode), str(body.schoolCode)))) body.schoolCode = '';
      if (body.otherSchoolCode && !(after.residenceZoneCode && await inList(map.otherSchools(db, lang, after.directorate, after.residenceZoneCode), str(body.otherSchoolCode)))) body.otherSchoolCode = '';
      // A new place without a school of that place chosen in the same post: its schools are shown next.
      placeChanged = placeChanged && !body.schoolCode && !body.otherSchoolCode;
    }
    if (step === 'photo') {
      const tooLarge = (req as Request & { photoTooLarge?: boolean }).photoTooLarge;
      const file = req.file?.buffer;
      if (tooLarge || (file && file.length)) {
        const result = await normalizePhoto(tooLarge ? Buffer.alloc(MAX_PHOTO_BYTES + 1) : file);
        if (!result.ok) {
          await renderStep(req, res, draft, step, { errors: [{ field: 'photo', code: `validation.${result.error}` }], status: 400 });
          return;
        }
        const replaced = draft.photoKey;
        draft.photoKey = storePhoto(db, result.jpeg, result.width, result.height);
        // The replaced photo goes, unless a request uses it (an edit draft starts from the request's photo).
        await db.flush();
        if (replaced) await db.getConnection().execute('delete from photo p where p.key = ? and not exists (select 1 from pre_registration r where r.photo_key = p.key)', [replaced]);
        flash = 'space.photoSaved';
      }
    }
    draft.data = mergeStep(draft.data, step, body, { levelFixed: Boolean(draft.reference) });
    if (step === 'guardian') prefillGuardianContact(draft.data, await accountOf(db, res));
    if (step === 'child' && action === 'copyPrevious') {
      const prev = await previousChild(db, await accountOf(db, res), draft.id, res.locals.lang);
      if (prev) { copyFromPrevious(draft.data, prev); flash = 'flow.copy.done'; }
    }
    if (step === 'siblings' && action === 'addSibling') (draft.data.siblings as unknown[]).push({});
    if (step === 'siblings' && action.startsWith('removeSibling-')) {
      const i = Number(action.slice('removeSibling-'.length));
      const list = draft.data.siblings as unknown[];
      if (Number.isInteger(i) && i >= 0 && i < list.length) list.splice(i, 1);
    }
    draft.updatedAt = new Date();
    const index = STEPS.indexOf(step);
    if (step === 'school' && placeChanged && (action === 'next' || action === 'place')) {
      // A new place: the page again, with the schools of that place to choose from.
      await db.flush();
      res.redirect(303, `/space/drafts/${draft.id}/school`);
      return;
    }
    if (action === 'next') {
      const errors = await draftErrors(db, draft, step);
      if (errors.length) {
        await db.flush();
        await renderStep(req, res, draft, step, { errors, status: 400 });
        return;
      }
      if (STEPS.indexOf(draft.step as Step) < index + 1) draft.step = STEPS[index + 1];
      await db.flush();
      res.redirect(303, `/space/drafts/${draft.id}/${STEPS[index + 1]}`);
      return;
    }
    await db.flush();
    if (action === 'back' && index > 0) { res.redirect(303, `/space/drafts/${draft.id}/${STEPS[index - 1]}`); return; }
    if (action === 'save') { res.redirect(303, draft.reference ? `/space/drafts/${draft.id}/${step}?saved=1` : '/space?saved=1'); return; }
    if (action === 'photo' && flash) { res.redirect(303, `/space/drafts/${draft.id}/photo?saved=photo`); return; }
    await renderStep(req, res, draft, step, { flash });
  };

  // ---- review and submission -----------------------------------------------------------------
  const renderReview = async (req: Request, res: Response, draft: PreRegistrationDraft, status = 200, extraErrors: FieldError[] = []) => {
    const lang: Language = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const errors = [...(await draftErrors(db, draft, 'review')), ...extraErrors.filter((e) => e.field !== '')];
    const byField = errorsByField(errors, (k, p) => t(k, p ?? {}) as string);
    const raw = draftToRaw(draft.data);
    const residence = obj(draft.data.residence) as Record<string, string>;
    const chain = residence.residenceZoneCode ? await map.zoneChain(db, residence.residenceZoneCode) : null;
    const school = str(raw.schoolCode) ? await db.findOne(School, { code: str(raw.schoolCode) }) : null;
    const civil = obj(draft.data.civilStatus);
    const birthDate = str(civil.birthDate);
    res.status(status).render('space/review', {
      title: `${errors.length ? `${t('error.titlePrefix')} ` : ''}${t('space.step.review')} — ${t('space.form.title')}`,
      draftId: draft.id, editing: draft.reference,
      steps: STEPS.map((s, i) => ({ name: s, number: i + 1, current: s === 'review', reachable: true })),
      stepNumber: STEPS.length, stepCount: STEPS.length,
      form: draft.data,
      computedHijri: isIsoDate(birthDate) ? gregorianToHijri(birthDate) : null,
      hijri: str(obj(raw.civilStatus).birthDateHijri),
      siblings: (Array.isArray(raw.siblings) ? raw.siblings : []).filter((s) => Object.values(obj(s)).some((v) => str(v).trim())),
      residence: chain ? {
        academy: lang === 'ar' ? chain.academy.nameAr : chain.academy.nameFr, directorate: lang === 'ar' ? chain.directorate.nameAr : chain.directorate.nameFr,
        commune: lang === 'ar' ? chain.commune.nameAr : chain.commune.nameFr, zone: lang === 'ar' ? chain.zone.nameAr : chain.zone.nameFr,
      } : null,
      school: school ? { code: school.code, name: lang === 'ar' ? school.nameAr : school.nameFr, other: draft.data.schoolChoice === 'other' } : null,
      hasPhoto: Boolean(draft.photoKey), photoVersion: draft.photoKey?.slice(0, 8),
      errors: byField,
      errorList: errors.map((e) => ({ href: `/space/drafts/${draft.id}/${stepOfField(e.field)}#${e.field.replace(/\./g, '-')}`, message: `${summaryLabel(e.field, (k) => t(k) as string)} — ${byField[e.field]}` })),
      canSubmit: errors.every((e) => e.field === CONSENT_FIELD),
    });
  };

  r.post('/drafts/:id/review', signedIn, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const db = em();
    const draft = await loadDraft(db, req, res);
    if (!draft) { notFound(res); return; }
    const errors = await draftErrors(db, draft, 'review');
    if (errors.length) { await renderReview(req, res, draft, 400); return; }
    // The privacy notice accepted explicitly (the ticked checkbox names its version).
    const raw = { ...draftToRaw(draft.data), language: res.locals.lang, [CONSENT_FIELD]: (req.body as Record<string, unknown>)[CONSENT_FIELD] };
    const account = await accountOf(db, res);
    const reason = draft.data.schoolChoice === 'other' ? str(draft.data.schoolChoiceReason) : '';
    try {
      if (draft.reference) {
        const pr = await db.findOne(PreRegistration, { reference: draft.reference, parentAccountId: account.id });
        if (!pr) { notFound(res); return; }
        const newPhoto = draft.photoKey && draft.photoKey !== pr.photoKey ? (await db.findOne(Photo, { key: draft.photoKey }, { populate: ['bytes'] }))?.bytes : undefined;
        const send = pr.status === 'correctionRequested' ? submitCorrection : submitParentEdit;
        const result = await send({ em: em(), temporal: deps.temporal, now: deps.clock() }, pr.reference, raw, newPhoto ?? undefined);
        if (!result.ok) { await renderReview(req, res, draft, 400, result.errors); return; }
        await db.nativeUpdate(PreRegistration, { reference: pr.reference }, { schoolChoiceReason: reason || null });
        account.profile = profileFrom(draft.data);
        draft.submittedAt = new Date();
        draft.data = {}; // the request holds the data now: no second copy (law 09-08)
        await db.flush();
        res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}?${pr.status === 'correctionRequested' ? 'corrected' : 'edited'}=1`);
        return;
      }
      const result = await submitPreRegistration({ em: em(), temporal: deps.temporal, now: deps.clock() }, raw, draft.photoKey ? { key: draft.photoKey } : undefined, draft.id, {
        parentAccountId: account.id, schoolChoiceReason: reason,
      });
      if (!result.ok) { await renderReview(req, res, draft, 400, result.errors); return; }
      // The child already has a request (filed elsewhere): its status page; the draft stays as it is.
      if (result.existing) { res.redirect(303, `/pre-registrations/${encodeURIComponent(result.reference)}?existing=1`); return; }
      account.profile = profileFrom(draft.data);
      draft.submittedAt = new Date();
      draft.reference = result.reference;
      draft.data = {}; // the request holds the data now: no second copy (law 09-08)
      await db.flush();
      res.redirect(303, `/pre-registrations/${encodeURIComponent(result.reference)}?submitted=1`);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/space?refused=${err.code}`);
    }
  });

  // After the review's own route.
  r.post('/drafts/:id/photo', signedIn, photoUpload, csrf.protect, csrf.withCsrf, saveStep);
  r.post('/drafts/:id/:step', signedIn, urlencoded, csrf.protect, csrf.withCsrf, saveStep);

  // ---- a submitted request: edit, withdraw -------------------------------------------------------
  const ownRequest = async (db: EntityManager, req: Request, res: Response) => {
    const reference = normalizeReference(String(req.params.reference));
    return db.findOne(PreRegistration, { reference, parentAccountId: (res.locals.parent as { id: string }).id }, { populate: ['school', 'residenceZone', 'commune'] });
  };
  r.post('/requests/:reference/edit', signedIn, urlencoded, csrf.protect, async (req, res) => {
    const db = em();
    const pr = await ownRequest(db, req, res);
    if (!pr) { notFound(res); return; }
    if (!(canParentEdit(pr) || pr.status === 'correctionRequested')) { res.redirect(303, '/space?refused=alreadyOpened'); return; }
    const draft = await editDraft(db, await accountOf(db, res), pr);
    res.redirect(303, `/space/drafts/${draft.id}/review`);
  });
  /** The withdrawal's confirmation page (what it ends), then the POST with the CSRF token to the one withdraw service. */
  r.get('/requests/:reference/withdraw', signedIn, csrf.withCsrf, async (req, res) => {
    const db = em();
    const pr = await ownRequest(db, req, res);
    if (!pr) { notFound(res); return; }
    if (!['submitted', 'underReview', 'correctionRequested'].includes(pr.status)) { res.redirect(303, '/space?refused=cannotWithdraw'); return; }
    res.render('parent/withdraw', await withdrawalModel(db, pr, res.locals.lang, { action: `/space/requests/${encodeURIComponent(pr.reference)}/withdraw`, back: '/space' }));
  });
  r.post('/requests/:reference/withdraw', signedIn, urlencoded, csrf.protect, async (req, res) => {
    const db = em();
    const pr = await ownRequest(db, req, res);
    if (!pr) { notFound(res); return; }
    // Only from the confirmation page: a form without the confirmation goes there first.
    if ((req.body as Record<string, unknown> | undefined)?.confirm !== 'yes') { res.redirect(303, `/space/requests/${encodeURIComponent(pr.reference)}/withdraw`); return; }
    try {
      await withdrawPreRegistration(deps.temporal, pr.reference);
      res.redirect(303, '/space?withdrawn=1');
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/space?refused=${err.code}`);
    }
  });
  return r;
}
