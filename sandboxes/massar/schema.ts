/**
 * Validation of the sandbox Massar's student payload: the server side of
 * {@link MassarStudentPayload} (activities/massar.ts). Strict objects: an unknown field is an error,
 * so a typo in the client shows up as a 400 in tests rather than as silently lost data.
 * Error messages name the field and the rule, never the value (no personal data in answers or logs).
 */
import { z } from 'zod';
import type { MassarStudentPayload } from '../../activities/massar';
import { GUARDIAN_ROLES, LEVELS } from '../../domain/types';

const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a date YYYY-MM-DD');
const hijriDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|30)$/, 'must be a Hijri date YYYY-MM-DD');
const nonBlank = (max: number) => z.string().regex(/\S/, 'is required').max(max, 'is too long');
const name = nonBlank(100);
const optionalText = z.string().max(255, 'is too long');
const code = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be a code (letters, digits, . _ -)');

const personNames = {
  firstNameAr: name,
  lastNameAr: name,
  firstNameLatin: name,
  lastNameLatin: name,
};

/** Reference of a pre-registration, also the idempotency key: 1–64 printable ASCII characters without spaces. */
export const REFERENCE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The zod schema of {@link MassarStudentPayload}. */
export const massarStudentPayloadSchema = z.strictObject({
  reference: z.string().regex(REFERENCE_PATTERN, 'must be 1 to 64 letters, digits or . _ : -'),
  schoolCode: code,
  schoolYear: z
    .string()
    .regex(/^\d{4}-\d{4}$/, 'must be YYYY-YYYY')
    .refine((y) => Number(y.slice(5)) === Number(y.slice(0, 4)) + 1, 'must be two consecutive years'),
  level: z.enum(LEVELS),
  child: z.strictObject(personNames),
  birthDate: isoDate,
  birthDateHijri: hijriDate,
  birthPlace: name,
  birthCertificateNumber: nonBlank(32),
  birthCertificateDate: isoDate,
  fatherLineage: nonBlank(200),
  motherLineage: nonBlank(200),
  guardianRole: z.enum(GUARDIAN_ROLES),
  guardian: z.strictObject({
    ...personNames,
    cin: z.string().regex(/^[A-Z]{1,2}[0-9]{1,8}$/, 'must be one or two capital letters then digits'),
    phone: z.union([z.literal(''), z.string().regex(/^\+[1-9][0-9]{7,14}$/, 'must be E.164, e.g. +212612345678')]),
    email: z.union([z.literal(''), z.email('must be an email address').max(254, 'is too long')]),
    address: optionalText,
    profession: optionalText,
  }),
  residenceZoneCode: code,
  communeCode: code,
});

/** The payload as validated; identical to {@link MassarStudentPayload} (checked at compile time below). */
export type ValidatedMassarStudentPayload = z.infer<typeof massarStudentPayloadSchema>;

// Compile-time check that the client's interface and this schema describe the same shape.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameShape: Equals<ValidatedMassarStudentPayload, MassarStudentPayload> = true;
void sameShape;
