/**
 * Staff authentication middleware shared by the staff routers: a signed-in, active staff user is
 * loaded from the session (PostgreSQL) and put on the request; otherwise the browser goes to the
 * sign-in page.
 */
import type { NextFunction, Request, Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import { StaffUser } from '../entities';
import type { SignInGuard } from './services/signInGuard';

/** What the sign-in doors share: the PostgreSQL throttle and the key of the TOTP secrets. */
export interface AuthDeps {
  guard: SignInGuard;
  totpKey: Buffer;
}

/**
 * What the page header shows of a signed-in staff user, in both languages: the role (a catalogue
 * key, `staff.role.<role>`) and the name of their scope from the data (school, directorate or
 * academy, Arabic and French). The account's display name is a free label (often in one script
 * only) and is not shown in the header.
 */
export function staffBadge(user: StaffUser): { displayName: string; role: StaffUser['role']; scopeAr: string; scopeFr: string } {
  const scope = user.school ?? user.directorate ?? user.academy ?? null;
  const loaded = scope && typeof (scope as { nameAr?: unknown }).nameAr === 'string';
  return { displayName: user.displayName, role: user.role, scopeAr: loaded ? scope.nameAr : '', scopeFr: loaded ? scope.nameFr : '' };
}

/** A request whose staff user is known. */
export type StaffRequest = Request & { staff: StaffUser };

/** Express middleware: requires a signed-in staff user (redirects to /staff/login otherwise). */
export function requireStaff(orm: MikroORM) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const id = req.session.staffUserId;
    const user = id ? await orm.em.fork().findOne(StaffUser, { id, active: true }, { populate: ['school', 'directorate', 'academy'] }) : null;
    if (!user) {
      res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    (req as StaffRequest).staff = user;
    res.locals.staff = staffBadge(user);
    next();
  };
}
