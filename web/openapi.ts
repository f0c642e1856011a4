/**
 * The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.
 */
import { GUARDIAN_ROLES, LEVELS, PRE_REGISTRATION_STATUSES, REJECTION_REASON_CODES } from '../domain/types';

const s = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const date = (description: string) => s(description, { format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const names = {
  type: 'object', required: ['firstNameAr', 'lastNameAr', 'firstNameLatin', 'lastNameLatin'],
  properties: {
    firstNameAr: s('First name in Arabic script'), lastNameAr: s('Family name in Arabic script'),
    firstNameLatin: s('First name in Latin letters'), lastNameLatin: s('Family name in Latin letters'),
  },
};
const parent = {
  description: 'A parent or the tutor. Names are always required; the guardian (the one `guardianRole` names) must also give `cin`, `address` and `phone`, and a mobile phone or an email to be notified; other fields are optional, validated when given.',
  allOf: [{ $ref: '#/components/schemas/PersonNames' }, {
    type: 'object',
    properties: {
      cin: s('National ID card number: one or two letters then digits, e.g. AB123456. Required for the guardian'),
      profession: s('Profession'), address: s('Address. Required for the guardian'),
      phone: s('Phone, national (0612345678) or international (+212612345678); stored E.164. Required for the guardian'),
      email: s('Email address', { format: 'email' }),
    },
  }],
};

/** Builds the document; `baseUrl` fills `servers`. */
export function openApiDocument(baseUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tasjil API', version: '1.0.0',
      description: 'Online pre-registration of school-age children in Moroccan public schools (Massar). Field messages come in Arabic and French.',
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    components: {
      securitySchemes: { staffToken: { type: 'http', scheme: 'bearer', bearerFormat: 'tsj_…', description: 'A staff API token (directors, supervisors, administrators), created and revoked on /staff/security; it acts with its user\'s rights and scope. HTTP Basic is refused (401 `basicAuthRemoved`).' } },
      schemas: {
        PersonNames: names,
        Parent: parent,
        Sibling: { allOf: [{ $ref: '#/components/schemas/PersonNames' }, { type: 'object', required: ['birthDate'], properties: { birthDate: date('Gregorian birth date') } }] },
        NewPreRegistrationSubmission: {
          allOf: [{ $ref: '#/components/schemas/PreRegistrationSubmission' }, {
            type: 'object', required: ['privacyNoticeVersion'],
            properties: {
              privacyNoticeVersion: s('The version of the privacy notice (GET /privacy, law 09-08) the parent explicitly accepted; must be the version in force, else 400 with the field `privacyNoticeVersion` (messages in Arabic and French naming the current version). The acceptance is recorded with the time of the submission.'),
            },
          }],
        },
        PreRegistrationSubmission: {
          type: 'object',
          required: ['level', 'child', 'civilStatus', 'guardianRole', 'father', 'mother', 'residence', 'schoolCode', 'photo'],
          properties: {
            schoolYear: s('School year, e.g. 2027-2028; defaults to the current campaign'),
            level: { type: 'string', enum: [...LEVELS] },
            child: { $ref: '#/components/schemas/PersonNames' },
            civilStatus: {
              type: 'object',
              required: ['birthDate', 'birthDateHijri', 'birthPlace', 'birthCertificateNumber', 'birthCertificateDate', 'fatherLineage', 'motherLineage'],
              properties: {
                birthDate: date('Gregorian birth date (authoritative)'),
                birthDateHijri: s('Hijri birth date as on the certificate, YYYY-MM-DD; accepted within ±2 days of the computed one'),
                birthPlace: s('Place of birth'), birthCertificateNumber: s('Birth certificate number'),
                birthCertificateDate: date('Birth certificate date'),
                fatherLineage: s('Father as on the civil record: "X son of Y"'), motherLineage: s('Mother: "X daughter of Y"'),
              },
            },
            siblings: { type: 'array', items: { $ref: '#/components/schemas/Sibling' }, description: 'Brothers and sisters below school age' },
            guardianRole: { type: 'string', enum: [...GUARDIAN_ROLES] },
            father: { $ref: '#/components/schemas/Parent' },
            mother: { $ref: '#/components/schemas/Parent' },
            tutor: { $ref: '#/components/schemas/Parent', description: 'Required when guardianRole is tutor' },
            residence: { type: 'object', required: ['communeCode', 'residenceZoneCode'], properties: { communeCode: s('HCP commune or arrondissement code'), residenceZoneCode: s('School-map residence zone code') } },
            schoolCode: s('Chosen school code'),
            language: { type: 'string', enum: ['ar', 'fr'], description: 'Language of the notifications' },
            photo: { type: 'object', required: ['data'], properties: { data: s('ID photo, JPEG, PNG or HEIF, base64, at most 10 MB') } },
          },
        },
        FieldError: {
          type: 'object', properties: {
            field: s('Dot path of the field, e.g. child.firstNameAr'), code: s('Catalogue key'),
            message: { type: 'object', properties: { ar: { type: 'string' }, fr: { type: 'string' } } },
          },
        },
        ValidationError: { type: 'object', properties: { error: { const: 'validation' }, errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } } } },
        Status: { type: 'string', enum: [...PRE_REGISTRATION_STATUSES] },
        Decision: {
          type: 'object', required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['approve', 'reject'] },
            reasons: { type: 'array', items: { type: 'string', enum: [...REJECTION_REASON_CODES] }, description: 'Required (at least one) to reject' },
            note: s('Free note; required with the reason "other", and to approve a request that needs a derogation (out of zone, tolerance band, under age)'),
            confirmOverCapacity: { type: 'boolean', description: 'Approve although the school has no seat left for the level (answered 409 `confirmOverCapacity` otherwise)' },
          },
        },
      },
    },
    paths: {
      '/pre-registrations': {
        post: {
          summary: 'Submit a pre-registration',
          description: 'One child, one request: the same child (birth certificate number + birth date + school year) already filed and not withdrawn or rejected is answered 200 with that request, `existing: true` and the header `Tasjil-Existing-Request: true` (no second request). Refused outside the campaign window of the school year and level (422 `campaignClosed`, dates in the message; a day ends at 23:59 Casablanca time).',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 64 }, description: 'Bound to the client and the body: same key and body → the same request, one workflow; same key with another body → 422 `idempotencyKeyReused`' }],
          requestBody: {
            required: true,
            description: 'Either JSON with the photo in base64 (`photo.data`), or multipart/form-data with the same JSON document (without `photo`) in the part `submission` and the photo\'s raw bytes in the file part `photo` (a third smaller on the wire, nothing to decode).',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/NewPreRegistrationSubmission' } },
              'multipart/form-data': {
                schema: {
                  type: 'object', required: ['submission', 'photo'],
                  properties: {
                    submission: { type: 'string', description: 'The NewPreRegistrationSubmission as JSON (with `privacyNoticeVersion`), without `photo` (a field, or a part of type application/json)' },
                    photo: { type: 'string', format: 'binary', description: 'ID photo, JPEG, PNG or HEIF, at most 10 MB' },
                  },
                },
                encoding: { submission: { contentType: 'application/json' }, photo: { contentType: 'image/jpeg, image/png, image/heic, image/heif' } },
              },
            },
          },
          responses: {
            201: { description: 'Created', content: { 'application/json': { schema: { type: 'object', properties: { reference: { type: 'string' }, status: { $ref: '#/components/schemas/Status' }, statusUrl: { type: 'string' } } } } } },
            200: { description: 'Already submitted with this Idempotency-Key, or the same child\'s request (`existing: true`): the same request' },
            400: { description: 'Invalid input, per field', content: { 'application/json': { schema: { $ref: '#/components/schemas/ValidationError' } } } },
            422: { description: '`campaignClosed` (outside the window) or `idempotencyKeyReused`; `message` in Arabic and French' },
          },
        },
      },
      '/pre-registrations/{reference}': {
        put: {
          summary: 'Change a pre-registration (parent): edit it until the school opens it, or correct it when the director asked for a correction',
          description: 'Until staff open the request (review page, staff GET, decision or correction request) the parent may edit it: the automatic checks run again and the answer comes once they have. After that, only a correction the director asked for is accepted. School year and level stay as submitted; the photo is optional (kept when absent).',
          parameters: [
            { name: 'reference', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'X-Birth-Certificate-Number', in: 'header', required: true, schema: { type: 'string' }, description: "The child's birth certificate number as submitted" },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PreRegistrationSubmission' } } } },
          responses: {
            200: { description: 'Edited or corrected; the checks ran again', content: { 'application/json': { schema: { type: 'object', properties: { reference: { type: 'string' }, status: { $ref: '#/components/schemas/Status' } } } } } },
            400: { description: 'Invalid input, per field', content: { 'application/json': { schema: { $ref: '#/components/schemas/ValidationError' } } } },
            403: { description: 'Verification failed (`remainingAttempts` before the lock)' }, 404: { description: 'Unknown reference' },
            422: { description: '`campaignClosed`: edits end with the campaign window (a correction the school asked for does not)' },
            429: { description: 'Too many wrong birth certificate numbers for this request (5 an hour, page and API together) or from this client: `Retry-After` seconds' },
            409: {
              description: '`alreadyOpened`: the school has started examining the request (or it was decided or withdrawn), it can no longer be edited; `notAwaitingCorrection`: the correction came too late. `message` has the text in Arabic and French.',
              content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string', enum: ['alreadyOpened', 'notAwaitingCorrection', 'workflowEnded'] }, message: { type: 'object', properties: { ar: { type: 'string' }, fr: { type: 'string' } } } } } } },
            },
          },
        },
        get: {
          summary: 'Status of a pre-registration',
          description: 'With the reference alone: the status and dates only (`proof: none`). The details (school, Massar code, rejection reasons and note, correction message) after proof: the header `X-Birth-Certificate-Number` (`proof: certificate`; the same throttle as the status page) or a staff API token (`Authorization: Bearer`, request in scope; `proof: staff`). With a staff token the request becomes opened: the parent can no longer edit it (timeline event `opened`); an edit in flight is applied before the answer.',
          security: [{}, { staffToken: [] }],
          parameters: [
            { name: 'reference', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'X-Birth-Certificate-Number', in: 'header', required: false, schema: { type: 'string' }, description: "The child's birth certificate number as submitted (proof)" },
          ],
          responses: {
            200: { description: 'Always: reference, status, schoolYear, level, submittedAt, updatedAt, openedAt, editable, decisionDueOn (YYYY-MM-DD, the day by which the school decides, while a decision is awaited, else null), originalsDueBy (YYYY-MM-DD, after approval the last day to bring the originals to the school, else null), timeline (dates, statuses, channels), proof. After proof also: school, massarCode, rejectionReasons, decisionNote, correctionMessage' },
            401: { description: 'Staff token given but unknown or revoked, or HTTP Basic given (`basicAuthRemoved`)' }, 403: { description: 'Wrong birth certificate number' }, 404: { description: 'Unknown reference (or outside the staff user\'s scope)' },
            429: { description: 'Locked after wrong birth certificate numbers, or too many bad tokens from this address: `Retry-After` seconds' },
          },
        },
      },
      '/school-map/academies': { get: { summary: 'Academies (AREF): code, nameAr, nameFr', responses: { 200: { description: 'List' } } } },
      '/school-map/academies/{code}/directorates': { get: { summary: 'Provincial directorates of an academy', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'List' } } } },
      '/school-map/directorates/{code}/communes': { get: { summary: 'Communes and arrondissements of a directorate (residence units)', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'List' } } } },
      '/school-map/communes/{code}/zones': { get: { summary: 'Residence zones of a commune (school map)', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'List' } } } },
      '/school-map/zones/{code}/schools': { get: { summary: 'Schools recruiting from a residence zone', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'List with addresses; isDemo marks the demo map' } } } },
      '/pre-registrations/{reference}/withdraw': {
        post: {
          summary: 'Withdraw a pre-registration before any decision (parent)',
          parameters: [
            { name: 'reference', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'X-Birth-Certificate-Number', in: 'header', required: true, schema: { type: 'string' }, description: "The child's birth certificate number as submitted" },
          ],
          responses: { 200: { description: 'Withdrawn' }, 403: { description: 'Verification failed' }, 404: { description: 'Unknown reference' }, 409: { description: 'Already decided' }, 429: { description: 'Locked after wrong birth certificate numbers: `Retry-After` seconds' } },
        },
      },
      '/pre-registrations/{reference}/decision': {
        post: {
          summary: "A director's decision (staff only)",
          security: [{ staffToken: [] }],
          parameters: [{ name: 'reference', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Decision' } } } },
          responses: {
            200: { description: 'Recorded; body has the new status' }, 400: { description: 'Invalid decision (e.g. reject without a reason, approve without the derogation note it needs)' },
            401: { description: 'No token, unknown or revoked token, or HTTP Basic (`basicAuthRemoved`)' }, 403: { description: 'Role may not decide' }, 404: { description: 'Unknown or outside your scope' },
            409: { description: '`confirmOverCapacity` (no seat left: send again with `confirmOverCapacity: true`, with `seats` and `taken`), or not awaiting a decision (already decided, or the workflow has ended)' },
            429: { description: 'Too many bad tokens from this address (Retry-After)' },
          },
        },
      },
    },
  };
}
