/**
 * The parents' space accounts (الفضاء الخاص بأولياء التلاميذ): sign-up with an email address or a
 * mobile number and a password, verified by a one-time code sent by email or SMS; sign-in,
 * sign-out, password reset. Sessions live in PostgreSQL (connect-pg-simple); the session id is
 * renewed at every sign-in. Every page works without JavaScript.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import Handlebars from 'handlebars';
import { checkNewPassword, maskIdentifier, parseAccountIdentifier, type AccountIdentifier } from '../../domain/account';
import type { Language } from '../../domain/types';
import { createMailer, type Mailer } from '../../activities/email';
import { createSmsSender, type SmsSender } from '../../activities/sms';
import { OneTimeCode, ParentAccount } from '../../entities';
import type { Csrf, WebDeps } from '../app';
import type { AuthDeps } from '../auth';
import { SignInRefused } from '../services/signInGuard';
import { randomUUID } from 'node:crypto';
import { translator } from '../i18n';
import { catalogueSms, countText } from '../views/textHelpers';
import { formBody } from '../http/bodies';
import {
  AccountError, consumeCode, identifierOf, issueCode, findAccount, requesterHash, setPassword, signIn, signUp, type CodeSender, OTP_POLICY,
} from '../services/accounts';

/** Tells the owner of an existing account, by their channel, that someone tried to sign up with their identifier. */
export function existingAccountNotice(mailer: () => Mailer, sms: () => SmsSender, baseUrl: string) {
  return async (to: AccountIdentifier, lang: Language) => {
    const t = translator(lang);
    const params = { url: `${baseUrl}/account/sign-in` };
    if (to.kind === 'email') {
      const text = t('account.exists.notice.email', params) as string;
      await mailer().send({
        to: to.value, subject: t('account.exists.notice.subject') as string, text,
        html: `<div dir="${lang === 'ar' ? 'rtl' : 'ltr'}" lang="${lang}">${text.split('\n').map((l) => `<p>${Handlebars.escapeExpression(l)}</p>`).join('')}</div>`,
      });
    } else {
      await sms().send({ to: to.value, body: catalogueSms(lang, 'account.exists.notice.sms', params) });
    }
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Where a signed-in parent goes next: only a local parents' space path. */
function safeNext(v: unknown): string {
  const s = str(v);
  return s.startsWith('/space') && !s.startsWith('//') ? s : '/space';
}

/** Sends one-time codes with the project's mailer and SMS sender, texts from the catalogue. */
export function codeSender(mailer: () => Mailer, sms: () => SmsSender): CodeSender {
  return async (to: AccountIdentifier, code: string, purpose, lang: Language) => {
    const t = translator(lang);
    const params = { code, minutes: String(OTP_POLICY.ttlMs / 60000) };
    if (to.kind === 'email') {
      const text = t(`account.code.${purpose}.email`, params) as string;
      await mailer().send({
        to: to.value, subject: t(`account.code.${purpose}.subject`, params) as string, text,
        html: `<div dir="${lang === 'ar' ? 'rtl' : 'ltr'}" lang="${lang}">${text.split('\n').map((l) => `<p>${Handlebars.escapeExpression(l)}</p>`).join('')}</div>`,
      });
    } else {
      await sms().send({ to: to.value, body: catalogueSms(lang, `account.code.${purpose}.sms`, params) });
    }
  };
}

/** Redirects to the sign-in page unless a parent is signed in; puts the account in `res.locals.parent`. */
export function requireParent(deps: WebDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const id = req.session.parentAccountId;
    const account = id ? await deps.orm.em.fork().findOne(ParentAccount, { id, verifiedAt: { $ne: null } }) : null;
    if (!account) {
      res.redirect(303, `/account/sign-in?next=${encodeURIComponent(req.originalUrl.replace(/[?&]lang=(ar|fr)/, ''))}`);
      return;
    }
    res.locals.parent = { id: account.id, identifier: maskIdentifier(identifierOf(account)) };
    next();
  };
}

/** The account pages, mounted at `/account`. `close` ends the mailer's pooled connections. */
export function accountRouter(deps: WebDeps, csrf: Csrf, auth: AuthDeps): { router: Router; close(): void } {
  const r = Router();
  const urlencoded = formBody({ fields: 20 });
  let mailer: Mailer | null = null;
  let sms: SmsSender | null = null;
  const send = codeSender(() => (mailer ??= createMailer(deps.config)), () => (sms ??= createSmsSender(deps.config)));
  const notice = existingAccountNotice(() => (mailer ??= createMailer(deps.config)), () => (sms ??= createSmsSender(deps.config)), deps.config.publicBaseUrl);
  /**
   * The code page for an identifier that gets no code (sign-up of an existing account, reset of an
   * unknown one): the same page as a real one; its code form answers like a real one (wrong code,
   * attempts left, then expired), so nothing tells whether an account exists.
   */
  const decoyCode = (req: Request, res: Response, next: NextFunction, id: AccountIdentifier, purpose: 'verify' | 'reset', target: string) => {
    req.session.pendingCode = { codeId: randomUUID(), purpose, masked: maskIdentifier(id), next: target, decoy: { attempts: 0, sentAt: Date.now() } };
    req.session.save((err) => (err ? next(err) : res.redirect(303, purpose === 'verify' ? '/account/verify' : '/account/reset/code')));
  };
  /** For a decoy: the error a real code of this many attempts would give. */
  const decoyError = (req: Request): AccountError => {
    const d = req.session.pendingCode!.decoy!;
    d.attempts += 1;
    const left = OTP_POLICY.maxAttempts - d.attempts;
    return left <= 0 ? new AccountError('account.code.expired', 'code') : new AccountError('account.code.wrong', 'code', { left: String(left) });
  };
  const em = () => deps.orm.em.fork();
  const secret = deps.config.SESSION_SECRET;

  /** Renders a page with the messages at their fields and the error summary on top. */
  const render = (res: Response, view: string, titleKey: string, model: Record<string, unknown>, errors?: Record<string, string>, status = 200) => {
    const t = translator(res.locals.lang);
    const labels: Record<string, string> = { identifier: 'account.field.identifier', password: 'account.field.password', passwordConfirm: 'account.field.passwordConfirm', code: 'account.field.code' };
    res.status(status).render(view, {
      title: `${errors ? `${t('error.titlePrefix')} ` : ''}${t(titleKey)}`,
      ...model,
      errors,
      errorList: errors ? Object.entries(errors).map(([f, m]) => ({ href: `#${f}`, message: `${t(labels[f] ?? f)} — ${m}` })) : undefined,
    });
  };
  const message = (res: Response, e: AccountError) => translator(res.locals.lang)(e.code, e.params) as string;
  const signedIn = (req: Request, res: Response, next: NextFunction, account: ParentAccount, target: string) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.parentAccountId = account.id;
      req.session.save((e2) => (e2 ? next(e2) : res.redirect(303, target)));
    });
  };
  /** Sends a code and remembers it in the session; then the code page. */
  const sendCode = async (req: Request, res: Response, next: NextFunction, account: ParentAccount, purpose: 'verify' | 'reset', target: string) => {
    const codeId = await issueCode({ em: em(), secret, send, requester: requesterHash(secret, req.ip ?? ''), maxPerRequesterPerHour: deps.config.OTP_MAX_PER_CLIENT_PER_HOUR }, account, purpose);
    req.session.pendingCode = { codeId, purpose, masked: maskIdentifier(identifierOf(account)), next: target };
    req.session.save((err) => (err ? next(err) : res.redirect(303, purpose === 'verify' ? '/account/verify' : '/account/reset/code')));
  };

  // ---- sign-up -------------------------------------------------------------------------------
  r.get('/sign-up', csrf.withCsrf, (req, res) => render(res, 'account/signUp', 'account.signUp.title', { form: {}, next: safeNext(req.query.next) }));
  r.post('/sign-up', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const form = { identifier: str(body.identifier) };
    const t = translator(res.locals.lang);
    const errors: Record<string, string> = {};
    const id = parseAccountIdentifier(form.identifier);
    if (!id.ok) errors.identifier = t(form.identifier.trim() ? id.error : 'validation.required');
    const password = str(body.password);
    const weak = password ? checkNewPassword(password, id.ok ? id.value.value : form.identifier) : null;
    if (!password) errors.password = t('validation.required');
    else if (weak) errors.password = t(weak);
    if (password && password !== str(body.passwordConfirm)) errors.passwordConfirm = t('account.password.mismatch');
    if (!id.ok || Object.keys(errors).length) return render(res, 'account/signUp', 'account.signUp.title', { form, next: safeNext(body.next) }, errors, 400);
    try {
      const db = em();
      const { account, existing } = await signUp(db, id.value, password, res.locals.lang);
      if (existing) {
        // The same answer as for a new account; the owner is told by their own channel instead.
        if (await auth.guard.allowNotice(account.id)) {
          await notice(identifierOf(account), account.language).catch((err: Error) => deps.log.warn({ err: { message: err.message } }, 'sign-up notice to an existing account not sent'));
        }
        decoyCode(req, res, next, id.value, 'verify', safeNext(body.next));
        return;
      }
      await sendCode(req, res, next, account, 'verify', safeNext(body.next));
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      render(res, 'account/signUp', 'account.signUp.title', { form, next: safeNext(body.next) }, { [e.field === 'code' ? 'identifier' : e.field]: message(res, e) }, e.code === 'account.code.wait' || e.code === 'account.code.tooMany' ? 429 : 400);
    }
  });

  // ---- the code sent at sign-up (or at sign-in of an unverified account) --------------------------
  r.get('/verify', csrf.withCsrf, (req, res) => {
    const p = req.session.pendingCode;
    if (!p || p.purpose !== 'verify') { res.redirect(303, '/account/sign-in'); return; }
    render(res, 'account/verify', 'account.verify.title', { masked: p.masked, form: {}, sent: req.query.resent === '1' });
  });
  r.post('/verify', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const p = req.session.pendingCode;
    if (!p || p.purpose !== 'verify') { res.redirect(303, '/account/sign-in'); return; }
    try {
      if (p.decoy) throw decoyError(req);
      const db = em();
      const account = await consumeCode({ em: db, secret }, p.codeId, str((req.body as Record<string, unknown>).code), 'verify');
      const row = await db.findOneOrFail(ParentAccount, { id: account.id });
      row.verifiedAt ??= new Date();
      row.lastSignInAt = new Date();
      await db.flush();
      delete req.session.pendingCode;
      signedIn(req, res, next, row, p.next ?? '/space');
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      if (p.decoy) { req.session.save(() => render(res, 'account/verify', 'account.verify.title', { masked: p.masked, form: {} }, { code: message(res, e) }, 400)); return; }
      render(res, 'account/verify', 'account.verify.title', { masked: p.masked, form: {} }, { code: message(res, e) }, 400);
    }
  });
  const resend = (purpose: 'verify' | 'reset') => async (req: Request, res: Response, next: NextFunction) => {
    const p = req.session.pendingCode;
    const view = purpose === 'verify' ? 'account/verify' : 'account/resetCode';
    const title = purpose === 'verify' ? 'account.verify.title' : 'account.reset.title';
    if (!p || p.purpose !== purpose) { res.redirect(303, '/account/sign-in'); return; }
    try {
      if (p.decoy) {
        // No code was sent: answer as a real resend would (the same wait, then "sent again").
        const waited = Date.now() - p.decoy.sentAt;
        if (waited < OTP_POLICY.resendAfterMs) throw new AccountError('account.code.wait', 'code', { seconds: String(Math.ceil((OTP_POLICY.resendAfterMs - waited) / 1000)) });
        p.decoy = { attempts: 0, sentAt: Date.now() };
        req.session.save((err) => (err ? next(err) : res.redirect(303, `${purpose === 'verify' ? '/account/verify' : '/account/reset/code'}?resent=1`)));
        return;
      }
      const db = em();
      const previous = await db.findOne(OneTimeCode, { id: p.codeId }, { populate: ['account'] });
      if (!previous) { res.redirect(303, purpose === 'reset' ? '/account/reset' : '/account/sign-in'); return; }
      const codeId = await issueCode({ em: db, secret, send, requester: requesterHash(secret, req.ip ?? ''), maxPerRequesterPerHour: deps.config.OTP_MAX_PER_CLIENT_PER_HOUR }, previous.account, purpose);
      req.session.pendingCode = { ...p, codeId };
      req.session.save((err) => (err ? next(err) : res.redirect(303, `${purpose === 'verify' ? '/account/verify' : '/account/reset/code'}?resent=1`)));
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      render(res, view, title, { masked: p.masked, form: {} }, { code: message(res, e) }, 429);
    }
  };
  r.post('/verify/resend', urlencoded, csrf.protect, csrf.withCsrf, resend('verify'));

  // ---- sign-in / sign-out --------------------------------------------------------------------
  r.get('/sign-in', csrf.withCsrf, (req, res) => {
    if (req.session.parentAccountId) { res.redirect(303, safeNext(req.query.next)); return; }
    render(res, 'account/signIn', 'account.signIn.title', { form: {}, next: safeNext(req.query.next), flash: req.query.reset === '1' ? 'account.reset.done' : undefined });
  });
  r.post('/sign-in', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const form = { identifier: str(body.identifier) };
    const t = translator(res.locals.lang);
    const id = parseAccountIdentifier(form.identifier);
    const target = safeNext(body.next);
    if (!id.ok || !str(body.password)) {
      const errors: Record<string, string> = {};
      if (!id.ok) errors.identifier = t(form.identifier.trim() ? id.error : 'validation.required');
      if (!str(body.password)) errors.password = t('validation.required');
      return render(res, 'account/signIn', 'account.signIn.title', { form, next: target }, errors, 400);
    }
    try {
      const db = em();
      const account = await signIn(db, id.value, str(body.password), { guard: auth.guard, ip: req.ip ?? '' });
      if (!account.verifiedAt) { await sendCode(req, res, next, account, 'verify', target); return; }
      signedIn(req, res, next, account, target);
    } catch (e) {
      if (e instanceof SignInRefused) {
        res.set('Retry-After', String(e.retryAfterSeconds));
        return render(res, 'account/signIn', 'account.signIn.title', { form, next: target }, { password: t(`signIn.throttled.${e.counter}`, { minutes: countText(res.locals.lang, 'minutes', e.minutes), seconds: countText(res.locals.lang, 'seconds', e.retryAfterSeconds) }) }, 429);
      }
      if (!(e instanceof AccountError)) throw e;
      render(res, 'account/signIn', 'account.signIn.title', { form, next: target }, { [e.field === 'code' ? 'identifier' : e.field]: message(res, e) }, e.code === 'account.code.wait' || e.code === 'account.code.tooMany' ? 429 : 401);
    }
  });
  r.get('/sign-out', csrf.withCsrf, (_req, res) => render(res, 'account/signOut', 'nav.signOut', {}));
  r.post('/sign-out', urlencoded, csrf.protect, (req, res, next) => {
    req.session.regenerate((err) => (err ? next(err) : req.session.save(() => res.redirect(303, '/'))));
  });

  // ---- password reset ------------------------------------------------------------------------
  r.get('/reset', csrf.withCsrf, (_req, res) => render(res, 'account/reset', 'account.reset.title', { form: {} }));
  r.post('/reset', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const form = { identifier: str((req.body as Record<string, unknown>).identifier) };
    const t = translator(res.locals.lang);
    const id = parseAccountIdentifier(form.identifier);
    if (!id.ok) return render(res, 'account/reset', 'account.reset.title', { form }, { identifier: t(form.identifier.trim() ? id.error : 'validation.required') }, 400);
    const account = await findAccount(em(), id.value);
    if (!account) {
      // The same next page whether or not an account exists (no account enumeration); no code is sent.
      decoyCode(req, res, next, id.value, 'reset', '/space');
      return;
    }
    try {
      await sendCode(req, res, next, account, 'reset', '/space');
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      render(res, 'account/reset', 'account.reset.title', { form }, { identifier: message(res, e) }, 429);
    }
  });
  r.get('/reset/code', csrf.withCsrf, (req, res) => {
    const p = req.session.pendingCode;
    if (!p || p.purpose !== 'reset') { res.redirect(303, '/account/reset'); return; }
    render(res, 'account/resetCode', 'account.reset.title', { masked: p.masked, form: {}, sent: req.query.resent === '1' });
  });
  r.post('/reset/code', urlencoded, csrf.protect, csrf.withCsrf, async (req, res, next) => {
    const p = req.session.pendingCode;
    if (!p || p.purpose !== 'reset') { res.redirect(303, '/account/reset'); return; }
    const body = req.body as Record<string, unknown>;
    const t = translator(res.locals.lang);
    const password = str(body.password);
    const errors: Record<string, string> = {};
    if (!str(body.code).trim()) errors.code = t('validation.required');
    if (!password) errors.password = t('validation.required');
    else if (password !== str(body.passwordConfirm)) errors.passwordConfirm = t('account.password.mismatch');
    if (Object.keys(errors).length) return render(res, 'account/resetCode', 'account.reset.title', { masked: p.masked, form: {} }, errors, 400);
    try {
      if (p.decoy) throw decoyError(req);
      const db = em();
      const account = await consumeCode({ em: db, secret }, p.codeId, str(body.code), 'reset');
      const row = await db.findOneOrFail(ParentAccount, { id: account.id });
      await setPassword(db, row, password);
      row.verifiedAt ??= new Date(); // the code proved the identifier
      await auth.guard.cleared('parent', identifierOf(row).value, req.ip ?? '');
      row.lastSignInAt = new Date();
      await db.flush();
      delete req.session.pendingCode;
      signedIn(req, res, next, row, '/space?reset=1');
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      if (p.decoy) { req.session.save(() => render(res, 'account/resetCode', 'account.reset.title', { masked: p.masked, form: {} }, { [e.field]: message(res, e) }, 400)); return; }
      render(res, 'account/resetCode', 'account.reset.title', { masked: p.masked, form: {} }, { [e.field]: message(res, e) }, 400);
    }
  });
  r.post('/reset/resend', urlencoded, csrf.protect, csrf.withCsrf, resend('reset'));

  return { router: r, close: () => mailer?.close() };
}
