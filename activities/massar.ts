/**
 * Massar export: the HTTP client of the ministry's school-management system (or of the local
 * sandbox Massar, `sandboxes/massar/server.ts`, which speaks the same protocol).
 *
 * Protocol (both sides):
 * - `POST {baseUrl}/api/v1/students`, HTTP Basic auth `clientId:clientSecret`, header
 *   `Idempotency-Key: <pre-registration reference>`, JSON body {@link MassarStudentPayload}.
 *   - `201 { massarCode, createdAt }` the student was created;
 *   - `200 { massarCode, createdAt }` the same key was already exported with the same payload:
 *     same code as the first time;
 *   - `400 { error, message, details? }` payload or key invalid; `401` bad credentials;
 *     `409` the key was already used with a different payload;
 *   - `429` / `5xx` Massar overloaded or down.
 * - `GET {baseUrl}/api/v1/students/{massarCode}` (same auth) returns the stored record.
 *
 * This file holds the client at the top; the Temporal activity functions that use it come below.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { PreRegistration } from '../entities';
import type { Activities } from './types';
import type { GuardianRole, HijriDate, IsoDate, Level, ParentDetails, PersonNames } from '../domain/types';

/** A Massar student code: one capital letter then nine digits, e.g. `G123456789`. */
export const MASSAR_CODE_PATTERN = /^[A-Z][0-9]{9}$/;

/**
 * The guardian as sent to Massar: names in both scripts, CIN (upper case, e.g. `AB123456`),
 * phone (E.164, e.g. `+212612345678`, or `''` when not given), email (or `''`), address and
 * profession (`''` when not given).
 */
export type MassarGuardian = ParentDetails;

/**
 * What Tasjil sends to Massar for one approved pre-registration (JSON body of
 * `POST /api/v1/students`). Dates are `YYYY-MM-DD`; `birthDateHijri` is the Hijri date as
 * written on the birth certificate. `reference` is the pre-registration reference and must
 * equal the `Idempotency-Key` header.
 */
export interface MassarStudentPayload {
  reference: string;
  /** School code (GRESA) of the school the child is registered in. */
  schoolCode: string;
  /** e.g. `2026-2027`. */
  schoolYear: string;
  level: Level;
  child: PersonNames;
  birthDate: IsoDate;
  birthDateHijri: HijriDate;
  birthPlace: string;
  birthCertificateNumber: string;
  birthCertificateDate: IsoDate;
  /** "X son of Y" as on the civil record. */
  fatherLineage: string;
  /** "X daughter of Y" as on the civil record. */
  motherLineage: string;
  guardianRole: GuardianRole;
  guardian: MassarGuardian;
  residenceZoneCode: string;
  communeCode: string;
}

/** Result of {@link MassarClient.exportStudent}: the student code and whether this call created it. */
export interface MassarExportResult {
  massarCode: string;
  /** `true` on the first export of this key (HTTP 201), `false` on a repeat (HTTP 200). */
  created: boolean;
}

/**
 * Massar could not be reached or could not answer now: network error, timeout, HTTP 5xx or 429,
 * or an answer that is not the documented shape. Retryable: the same call with the same
 * idempotency key is safe to repeat. The message holds no personal data.
 */
export class MassarUnavailableError extends Error {
  /** Always `true`: retry with backoff. */
  readonly retryable = true;
  /** HTTP status when Massar answered, `undefined` on network errors and timeouts. */
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'MassarUnavailableError';
    this.status = status;
  }
}

/**
 * Massar refused the student: HTTP 4xx other than 429 (invalid payload 400, bad credentials 401,
 * key already used with another payload 409…). Not retryable as is: the data or the
 * configuration must be corrected first. `message` carries Massar's own message (the sandbox's
 * messages name fields, never values).
 */
export class MassarRejectedError extends Error {
  /** Always `false`: retrying the same request gets the same answer. */
  readonly retryable = false;
  /** HTTP status Massar answered with. */
  readonly status: number;
  /** Massar's machine-readable error code, e.g. `invalid_payload`, `idempotency_conflict`. */
  readonly code?: string;
  /** Massar's details (for 400: one entry per invalid field, path and message). */
  readonly details?: unknown;
  constructor(message: string, status: number, code?: string, details?: unknown) {
    super(message);
    this.name = 'MassarRejectedError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Options of {@link MassarClient}. */
export interface MassarClientOptions {
  /** e.g. `http://127.0.0.1:3010` (config `MASSAR_BASE_URL`); a trailing slash is ignored. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Fetch implementation; default the global `fetch`. */
  fetch?: typeof fetch;
}

/** The stored record returned by {@link MassarClient.getStudent}. */
export interface MassarStudentRecord {
  massarCode: string;
  idempotencyKey: string;
  payload: MassarStudentPayload;
  createdAt: string;
}

/**
 * HTTP client of Massar's student API. Stateless and safe to share; one instance per worker.
 *
 * @example
 * const massar = new MassarClient({ baseUrl: config.MASSAR_BASE_URL, clientId: config.MASSAR_CLIENT_ID,
 *   clientSecret: config.MASSAR_CLIENT_SECRET });
 * const { massarCode } = await massar.exportStudent(payload, payload.reference);
 */
export class MassarClient {
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: MassarClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.authorization = 'Basic ' + Buffer.from(`${opts.clientId}:${opts.clientSecret}`, 'utf8').toString('base64');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /**
   * Creates the student in Massar, or returns the code created earlier for the same key.
   *
   * @param payload the student, see {@link MassarStudentPayload}
   * @param idempotencyKey the pre-registration reference (equal to `payload.reference`); repeating
   *   a call with the same key and payload is safe and yields the same code
   * @returns the code (checked against {@link MASSAR_CODE_PATTERN}) and whether it was created now
   * @throws MassarUnavailableError network error, timeout, 5xx, 429, malformed answer (retryable)
   * @throws MassarRejectedError any other 4xx (not retryable)
   */
  async exportStudent(payload: MassarStudentPayload, idempotencyKey: string): Promise<MassarExportResult> {
    const res = await this.call('POST', '/api/v1/students', {
      'Content-Type': 'application/json',
      'Idempotency-Key': idempotencyKey,
    }, JSON.stringify(payload));
    if (res.status !== 200 && res.status !== 201) {
      throw new MassarUnavailableError(`Massar answered an unexpected HTTP ${res.status} to the student export`, res.status);
    }
    const massarCode = readCode(res.body);
    return { massarCode, created: res.status === 201 };
  }

  /**
   * Reads a student back from Massar.
   * @returns the record, or `null` when Massar knows no such code (404)
   * @throws MassarUnavailableError / MassarRejectedError as {@link exportStudent}
   */
  async getStudent(massarCode: string): Promise<MassarStudentRecord | null> {
    if (!MASSAR_CODE_PATTERN.test(massarCode)) throw new RangeError('Not a Massar student code');
    try {
      const res = await this.call('GET', `/api/v1/students/${massarCode}`, {}, undefined);
      return res.body as MassarStudentRecord;
    } catch (err) {
      if (err instanceof MassarRejectedError && err.status === 404) return null;
      throw err;
    }
  }

  /** One request; maps every failure to the two error classes. Returns only 2xx answers. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers: { Accept: 'application/json', Authorization: this.authorization, ...headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new MassarUnavailableError(describeNetworkError(err, this.timeoutMs));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new MassarUnavailableError(`Massar's answer could not be read (HTTP ${res.status}): ${describeNetworkError(err, this.timeoutMs)}`, res.status);
    }
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (res.status === 429 || res.status >= 500) {
      const message = serverMessage(parsed);
      throw new MassarUnavailableError(
        `Massar is unavailable (HTTP ${res.status})${message ? `: ${message}` : ''}`,
        res.status,
      );
    }
    if (res.status >= 400) {
      const message = serverMessage(parsed);
      const code = isRecord(parsed) && typeof parsed.error === 'string' ? parsed.error : undefined;
      const details = isRecord(parsed) ? parsed.details : undefined;
      throw new MassarRejectedError(
        `Massar refused the request (HTTP ${res.status})${message ? `: ${message}` : ''}`,
        res.status,
        code,
        details,
      );
    }
    if (res.status < 200 || res.status >= 300 || parsed === undefined) {
      throw new MassarUnavailableError(`Massar answered HTTP ${res.status} without a JSON body`, res.status);
    }
    return { status: res.status, body: parsed };
  }
}

function readCode(body: unknown): string {
  const code = isRecord(body) ? body.massarCode : undefined;
  if (typeof code !== 'string' || !MASSAR_CODE_PATTERN.test(code)) {
    throw new MassarUnavailableError('Massar answered without a valid student code (expected one capital letter and nine digits)');
  }
  return code;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function serverMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const m = body.message ?? body.error;
  return typeof m === 'string' ? m.slice(0, 500) : undefined;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (e.g. under jest), so no instanceof.
  if (isRecord(err)) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `Massar did not answer within ${timeoutMs} ms`;
    const cause = err.cause;
    const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : typeof err.code === 'string' ? err.code : undefined;
    return `Massar could not be reached${code ? ` (${code})` : ''}`;
  }
  return 'Massar could not be reached';
}

// ---------------------------------------------------------------------------------------------
// Temporal activities (added by the lead) go below.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Temporal activity: export one approved pre-registration.
// ---------------------------------------------------------------------------------------------

/**
 * Builds `exportToMassar(reference)`: loads the request, maps it to a {@link MassarStudentPayload}
 * and exports it with the reference as idempotency key (a retried activity gets the same code).
 * A refusal by Massar (4xx) becomes a non-retryable `MassarRejectedError` failure; anything else is
 * thrown as is and retried by Temporal.
 */
export function createMassarActivities(deps: { orm: MikroORM; client: MassarClient }): Pick<Activities, 'exportToMassar'> {
  return {
    async exportToMassar(reference: string) {
      const em = deps.orm.em.fork();
      const pr = await em.findOne(PreRegistration, { reference }, { populate: ['school'] });
      if (!pr) throw ApplicationFailure.nonRetryable(`pre-registration ${reference} not found`, 'PreRegistrationNotFound');
      const g = pr.guardianRole === 'tutor' && pr.tutor ? pr.tutor : pr.guardianRole === 'mother' ? pr.mother : pr.father;
      const payload: MassarStudentPayload = {
        reference: pr.reference,
        schoolCode: pr.school.code,
        schoolYear: pr.schoolYear,
        level: pr.level,
        child: { firstNameAr: pr.childFirstNameAr, lastNameAr: pr.childLastNameAr, firstNameLatin: pr.childFirstNameLatin, lastNameLatin: pr.childLastNameLatin },
        birthDate: pr.birthDate,
        birthDateHijri: pr.birthDateHijri,
        birthPlace: pr.birthPlace,
        birthCertificateNumber: pr.birthCertificateNumber,
        birthCertificateDate: pr.birthCertificateDate,
        fatherLineage: pr.fatherLineage,
        motherLineage: pr.motherLineage,
        guardianRole: pr.guardianRole,
        guardian: {
          firstNameAr: g.firstNameAr, lastNameAr: g.lastNameAr, firstNameLatin: g.firstNameLatin, lastNameLatin: g.lastNameLatin,
          cin: g.cin, phone: g.phone, email: g.email, address: g.address, profession: g.profession,
        },
        residenceZoneCode: pr.residenceZone.code,
        communeCode: pr.commune.code,
      };
      try {
        const { massarCode } = await deps.client.exportStudent(payload, pr.reference);
        return { massarCode };
      } catch (err) {
        if (err instanceof MassarRejectedError) throw ApplicationFailure.nonRetryable(err.message, 'MassarRejectedError');
        throw err;
      }
    },
  };
}
