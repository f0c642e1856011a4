/**
 * Row mapping of a pre-registration: how a validated submission fills a `pre_registration` row.
 * Shared by the web's services (corrections) and the `applyParentEdit` activity (parent edits), so
 * both write the same columns the same way.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { duplicateKeys, normalizeCertificateNumber } from '../domain/duplicates';
import { normalizeForSearch } from '../domain/names';
import type { PreRegistrationSubmission } from '../domain/types';
import { Commune, ResidenceZone, School, type PreRegistration } from '../entities';

/**
 * The key of one child for one school year: `<school year>|bc:<normalised certificate number>|<birth date>`
 * (null without a certificate number). Unique among requests not withdrawn or rejected (index
 * `pre_registration_one_request_per_child`): one child, one request.
 */
export function childKeyOf(schoolYear: string, civilStatus: { birthCertificateNumber: string; birthDate: string }): string | null {
  const certificate = normalizeCertificateNumber(civilStatus.birthCertificateNumber);
  return certificate ? `${schoolYear}|bc:${certificate}|${civilStatus.birthDate}` : null;
}

/** The normalised text searched by the staff queue: names in both scripts, certificate number, CINs, reference. */
export function searchTextOf(s: PreRegistrationSubmission, reference: string): string {
  return normalizeForSearch([
    s.child.firstNameAr, s.child.lastNameAr, s.child.firstNameLatin, s.child.lastNameLatin,
    s.civilStatus.birthCertificateNumber, s.father.cin, s.mother.cin, s.tutor?.cin ?? '', reference,
  ].join(' '));
}

/**
 * Copies a validated submission onto a stored request: school, commune, zone, the child's names,
 * civil status, siblings, parents, contact, search text, duplicate keys, and the photo when a new
 * key is given (school year, level and language stay as stored). Flushed by the caller's
 * transaction. Shared by corrections and the `applyParentEdit` activity (parent edits).
 * @param tx the EntityManager managing `row`.
 */
export function assignSubmission(tx: EntityManager, row: PreRegistration, s: PreRegistrationSubmission, opts: { photoKey?: string | null; now: Date }): void {
  const guardian = s.guardianRole === 'tutor' ? s.tutor! : s[s.guardianRole];
  if (opts.photoKey) row.photoKey = opts.photoKey;
  Object.assign(row, {
    school: tx.getReference(School, s.schoolCode), commune: tx.getReference(Commune, s.residence.communeCode), residenceZone: tx.getReference(ResidenceZone, s.residence.residenceZoneCode),
    childFirstNameAr: s.child.firstNameAr, childLastNameAr: s.child.lastNameAr, childFirstNameLatin: s.child.firstNameLatin, childLastNameLatin: s.child.lastNameLatin,
    birthDate: s.civilStatus.birthDate, birthDateHijri: s.civilStatus.birthDateHijri, birthPlace: s.civilStatus.birthPlace,
    birthCertificateNumber: s.civilStatus.birthCertificateNumber, birthCertificateDate: s.civilStatus.birthCertificateDate,
    fatherLineage: s.civilStatus.fatherLineage, motherLineage: s.civilStatus.motherLineage,
    guardianRole: s.guardianRole, father: s.father, mother: s.mother, tutor: s.tutor, siblings: s.siblings,
    contactEmail: guardian.email, contactPhone: guardian.phone, contactPhoneIsMobile: /^\+212[67]\d{8}$/.test(guardian.phone),
    searchText: searchTextOf(s, row.reference), childKey: childKeyOf(row.schoolYear, s.civilStatus),
    duplicateKeys: duplicateKeys({ birthDate: s.civilStatus.birthDate, firstNameAr: s.child.firstNameAr, lastNameAr: s.child.lastNameAr, birthCertificateNumber: s.civilStatus.birthCertificateNumber }),
    updatedAt: opts.now,
  });
}
