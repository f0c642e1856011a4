/**
 * Staff accounts and scope. A director sees their school and its satellite units; a provincial
 * supervisor their directorate; an academy supervisor their academy; an administrator everything.
 * A request outside the user's scope is treated as non-existent (404), in pages and API alike.
 */
import argon2 from 'argon2';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { AutomaticChecksSummary } from '../../domain/types';
import { PreRegistration, StaffUser } from '../../entities';

/** Verifies a username and password; returns the active user or null (argon2id, constant-time). */
export async function authenticate(em: EntityManager, username: string, password: string): Promise<StaffUser | null> {
  const user = await em.findOne(StaffUser, { username: username.trim(), active: true }, { populate: ['school', 'directorate', 'academy'] });
  if (!user) {
    await argon2.hash(password).catch(() => undefined); // same cost whether or not the user exists
    return null;
  }
  const ok = await argon2.verify(user.passwordHash, password).catch(() => false);
  if (!ok) return null;
  user.lastSignInAt = new Date();
  await em.flush();
  return user;
}

/** The filter restricting pre-registrations to a staff user's scope. */
export function scopeFilter(user: StaffUser): FilterQuery<PreRegistration> {
  switch (user.role) {
    case 'director': {
      const code = user.school?.code ?? '__none__';
      return { $or: [{ school: { code } }, { school: { parentSchool: { code } } }] };
    }
    case 'provincialSupervisor':
      return { school: { directorate: { code: user.directorate?.code ?? '__none__' } } };
    case 'academySupervisor':
      return { school: { directorate: { academy: { code: user.academy?.code ?? '__none__' } } } };
    case 'administrator':
      return {};
  }
}

/** Finds a request by reference within the user's scope, or null (→ 404). */
export async function findInScope(em: EntityManager, user: StaffUser, reference: string, populate: string[] = []): Promise<PreRegistration | null> {
  return em.findOne(PreRegistration, { $and: [{ reference }, scopeFilter(user)] }, { populate: populate as never });
}

/** Whether the user may decide (directors for their scope, administrators anywhere). */
export function canDecide(user: StaffUser): boolean {
  return user.role === 'director' || user.role === 'administrator';
}

/** The four check results of a request (null while the checks have not run). */
export function checksSummaryOf(pr: Pick<PreRegistration, 'ageCheck' | 'zoneCheck' | 'duplicateCheck' | 'hijriCheck'>): AutomaticChecksSummary | null {
  if (!pr.ageCheck || !pr.zoneCheck || !pr.duplicateCheck || !pr.hijriCheck) return null;
  return { age: pr.ageCheck, zone: pr.zoneCheck, duplicate: pr.duplicateCheck, hijriConsistency: pr.hijriCheck };
}

/** True when every automatic check passes: eligible age, in zone, no duplicate, consistent Hijri date (the "ready to approve" rule). */
export function allChecksPass(pr: Pick<PreRegistration, 'ageCheck' | 'zoneCheck' | 'duplicateCheck' | 'hijriCheck'>): boolean {
  return pr.ageCheck === 'eligible' && pr.zoneCheck === 'inZone' && pr.duplicateCheck === 'none' && pr.hijriCheck === 'consistent';
}

/** Whether the user may read the audit log (supervisors and administrators). */
export function canReadAudit(user: StaffUser): boolean {
  return user.role === 'provincialSupervisor' || user.role === 'academySupervisor' || user.role === 'administrator';
}
