import { defaultAgeRules } from './age';
import { gregorianToHijri } from './hijri';
import { parseSubmission, submissionToRaw, SUBMISSION_ERROR_CODES, type FieldError, type SubmissionContext } from './submission';
import type { PreRegistrationSubmission } from './types';

const [primary1, preschool] = defaultAgeRules(2026);
const ctx: SubmissionContext = { ageRule: primary1, today: '2026-04-15' };

/** A complete, valid form as qs gives it (strings only, extra CSRF field, untidy spacing). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw form input: the tests reshape it freely (nulls, objects for arrays, wrong types)
function validRaw(): Record<string, any> {
  return {
    _csrf: 'token',
    schoolYear: '2026-2027',
    level: 'primary1',
    child: { firstNameAr: ' أحمد ', lastNameAr: 'العلوي', firstNameLatin: 'Ahmed', lastNameLatin: 'El  Alaoui' },
    civilStatus: {
      birthDate: '2020-09-01',
      birthDateHijri: '1442-01-14',
      birthPlace: 'الرباط',
      birthCertificateNumber: '1234/2020',
      birthCertificateDate: '2020-09-10',
      fatherLineage: 'محمد بن علي العلوي',
      motherLineage: 'فاطمة بنت الحسن بناني',
    },
    siblings: [
      { firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2023-01-15' },
      { firstNameAr: '', lastNameAr: ' ', firstNameLatin: '', lastNameLatin: '', birthDate: '' },
    ],
    guardianRole: 'father',
    father: {
      firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohamed', lastNameLatin: 'El Alaoui',
      cin: 'ab 123456', profession: 'أستاذ', address: '12 زنقة الورد، حي الرياض، الرباط', phone: '06 12 34 56 78', email: '',
    },
    mother: {
      firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani',
      cin: '', profession: '', address: '', phone: '', email: '',
    },
    tutor: { firstNameAr: '', lastNameAr: '', firstNameLatin: '', lastNameLatin: '', cin: '', profession: '', address: '', phone: '', email: '' },
    residence: { communeCode: '04.441.01.01', residenceZoneCode: '04.441.01.01-Z1' },
    schoolCode: '04441B12',
  };
}

const expectedValue: PreRegistrationSubmission = {
  schoolYear: '2026-2027',
  level: 'primary1',
  child: { firstNameAr: 'أحمد', lastNameAr: 'العلوي', firstNameLatin: 'Ahmed', lastNameLatin: 'El Alaoui' },
  civilStatus: {
    birthDate: '2020-09-01',
    birthDateHijri: '1442-01-14',
    birthPlace: 'الرباط',
    birthCertificateNumber: '1234/2020',
    birthCertificateDate: '2020-09-10',
    fatherLineage: 'محمد بن علي العلوي',
    motherLineage: 'فاطمة بنت الحسن بناني',
  },
  siblings: [{ firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2023-01-15' }],
  guardianRole: 'father',
  father: {
    firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohamed', lastNameLatin: 'El Alaoui',
    cin: 'AB123456', profession: 'أستاذ', address: '12 زنقة الورد، حي الرياض، الرباط', phone: '+212612345678', email: '',
  },
  mother: {
    firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani',
    cin: '', profession: '', address: '', phone: '', email: '',
  },
  tutor: null,
  residence: { communeCode: '04.441.01.01', residenceZoneCode: '04.441.01.01-Z1' },
  schoolCode: '04441B12',
  language: 'ar',
};

function errorsOf(raw: unknown, c: SubmissionContext = ctx): FieldError[] {
  const r = parseSubmission(raw, c);
  if (r.ok) throw new Error('expected errors, got a valid submission');
  return r.errors;
}

describe('parseSubmission: valid forms', () => {
  test('a complete form is normalised (names cleaned, CIN, E.164 phone, blank sibling dropped, tutor null)', () => {
    expect(parseSubmission(validRaw(), ctx)).toEqual({ ok: true, value: expectedValue });
  });

  test('the input is not modified', () => {
    const raw = validRaw();
    const before = JSON.stringify(raw);
    parseSubmission(raw, ctx);
    expect(JSON.stringify(raw)).toBe(before);
  });

  test('the same submission as JSON from the API, with nulls and no siblings or tutor', () => {
    const raw = validRaw();
    delete raw.siblings;
    delete raw.tutor;
    raw.mother.cin = null;
    raw.language = 'fr';
    expect(parseSubmission(raw, ctx)).toEqual({ ok: true, value: { ...expectedValue, siblings: [], language: 'fr' } });
  });

  test('siblings as an object keyed "0", "1"… (blank rows dropped, index order kept)', () => {
    const raw = validRaw();
    raw.siblings = {
      '10': { firstNameAr: 'يوسف', lastNameAr: 'العلوي', firstNameLatin: 'Youssef', lastNameLatin: 'El Alaoui', birthDate: '2024-06-30' },
      '2': { firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2023-01-15' },
      '3': { firstNameAr: '', lastNameAr: '', firstNameLatin: '', lastNameLatin: '', birthDate: '' },
    };
    const r = parseSubmission(raw, ctx);
    expect(r).toEqual({
      ok: true,
      value: {
        ...expectedValue,
        siblings: [
          { firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2023-01-15' },
          { firstNameAr: 'يوسف', lastNameAr: 'العلوي', firstNameLatin: 'Youssef', lastNameLatin: 'El Alaoui', birthDate: '2024-06-30' },
        ],
      },
    });
  });

  test('tutor as guardian: tutor block required and normalised, parents\' contact optional', () => {
    const raw = validRaw();
    raw.guardianRole = 'tutor';
    raw.father = { firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohamed', lastNameLatin: 'El Alaoui' };
    raw.tutor = {
      firstNameAr: 'خديجة', lastNameAr: 'العلوي', firstNameLatin: 'Khadija', lastNameLatin: 'El Alaoui',
      cin: 'J12345', profession: '', address: 'دوار أولاد علي، جماعة سيدي علال البحراوي', phone: '0522123456', email: 'Khadija.Alaoui@Example.MA ',
    };
    expect(parseSubmission(raw, ctx)).toEqual({
      ok: true,
      value: {
        ...expectedValue,
        guardianRole: 'tutor',
        father: { ...expectedValue.father, cin: '', profession: '', address: '', phone: '', email: '' },
        tutor: {
          firstNameAr: 'خديجة', lastNameAr: 'العلوي', firstNameLatin: 'Khadija', lastNameLatin: 'El Alaoui',
          cin: 'J12345', profession: '', address: 'دوار أولاد علي، جماعة سيدي علال البحراوي', phone: '+212522123456',
          email: 'khadija.alaoui@example.ma',
        },
      },
    });
  });

  test('the tutor block is ignored when the guardian is a parent, even if invalid', () => {
    const raw = validRaw();
    raw.tutor = { firstNameAr: 'Ahmed', cin: '???', phone: '1' };
    expect(parseSubmission(raw, ctx)).toEqual({ ok: true, value: expectedValue });
  });

  test('mother as guardian', () => {
    const raw = validRaw();
    raw.guardianRole = 'mother';
    raw.mother = { ...raw.mother, cin: 'bh 654321', address: 'الرباط', phone: '0712345678' };
    const r = parseSubmission(raw, ctx);
    expect(r.ok && r.value.mother).toEqual({ ...expectedValue.mother, cin: 'BH654321', address: 'الرباط', phone: '+212712345678' });
    expect(r.ok && r.value.tutor).toBeNull();
  });

  test('Arabic names with diacritics and tatweel, Latin names with accents and apostrophes', () => {
    const raw = validRaw();
    raw.child = { firstNameAr: 'مُحَمَّد الأَمِين', lastNameAr: 'آيت-الحـسن', firstNameLatin: 'Mohamed-Amine', lastNameLatin: "Aït El Ha'ssan" };
    const r = parseSubmission(raw, ctx);
    expect(r.ok && r.value.child).toEqual(raw.child);
  });

  test('under-age and tolerance-band children are accepted: the director decides', () => {
    for (const birthDate of ['2021-03-31', '2021-04-01', '2021-09-01', '2025-01-01']) {
      const raw = validRaw();
      raw.civilStatus.birthDate = birthDate;
      raw.civilStatus.birthDateHijri = gregorianToHijri(birthDate);
      raw.civilStatus.birthCertificateDate = birthDate;
      raw.siblings = [];
      expect(parseSubmission(raw, ctx)).toMatchObject({ ok: true, value: { civilStatus: { birthDate } } });
    }
  });

  test('Hijri date typed day-first or with Arabic-Indic digits is normalised', () => {
    for (const typed of ['14/1/1442', '1442/1/14', '١٤٤٢-٠١-١٤']) {
      const raw = validRaw();
      raw.civilStatus.birthDateHijri = typed;
      const r = parseSubmission(raw, ctx);
      expect(r.ok && r.value.civilStatus.birthDateHijri).toBe('1442-01-14');
    }
  });

  test('Hijri day 30 of a 29-day month within tolerance is accepted', () => {
    const raw = validRaw();
    raw.civilStatus.birthDate = '2020-08-20'; // 1442-01-01 in umm al-qura
    raw.civilStatus.birthDateHijri = '1441-12-30';
    const r = parseSubmission(raw, ctx);
    expect(r.ok && r.value.civilStatus.birthDateHijri).toBe('1441-12-30');
  });

  test('without an age rule, age checks are skipped', () => {
    const raw = validRaw();
    raw.civilStatus.birthDate = '2010-09-01';
    raw.civilStatus.birthDateHijri = '1431-09-22';
    raw.siblings = [{ firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2012-01-15' }];
    expect(parseSubmission(raw, { ageRule: null, today: '2026-04-15' }).ok).toBe(true);
  });

  test('preschool', () => {
    const raw = validRaw();
    raw.level = 'preschool';
    raw.civilStatus.birthDate = '2022-03-05';
    raw.civilStatus.birthDateHijri = '1443-08-02';
    raw.civilStatus.birthCertificateDate = '2022-03-07';
    raw.siblings = [];
    expect(parseSubmission(raw, { ageRule: preschool, today: '2026-04-15' })).toMatchObject({ ok: true, value: { level: 'preschool' } });
  });
});

describe('parseSubmission: errors', () => {
  test('an empty form: every required field, in form order', () => {
    expect(errorsOf({})).toEqual([
      { field: 'schoolYear', code: 'validation.required' },
      { field: 'level', code: 'validation.required' },
      { field: 'child.firstNameAr', code: 'validation.required' },
      { field: 'child.lastNameAr', code: 'validation.required' },
      { field: 'child.firstNameLatin', code: 'validation.required' },
      { field: 'child.lastNameLatin', code: 'validation.required' },
      { field: 'civilStatus.birthDate', code: 'validation.required' },
      { field: 'civilStatus.birthDateHijri', code: 'validation.required' },
      { field: 'civilStatus.birthPlace', code: 'validation.required' },
      { field: 'civilStatus.birthCertificateNumber', code: 'validation.required' },
      { field: 'civilStatus.birthCertificateDate', code: 'validation.required' },
      { field: 'civilStatus.fatherLineage', code: 'validation.required' },
      { field: 'civilStatus.motherLineage', code: 'validation.required' },
      { field: 'guardianRole', code: 'validation.required' },
      { field: 'father.firstNameAr', code: 'validation.required' },
      { field: 'father.lastNameAr', code: 'validation.required' },
      { field: 'father.firstNameLatin', code: 'validation.required' },
      { field: 'father.lastNameLatin', code: 'validation.required' },
      { field: 'mother.firstNameAr', code: 'validation.required' },
      { field: 'mother.lastNameAr', code: 'validation.required' },
      { field: 'mother.firstNameLatin', code: 'validation.required' },
      { field: 'mother.lastNameLatin', code: 'validation.required' },
      { field: 'residence.communeCode', code: 'validation.required' },
      { field: 'residence.residenceZoneCode', code: 'validation.required' },
      { field: 'schoolCode', code: 'validation.required' },
    ]);
  });

  test('five simultaneous errors are all reported', () => {
    const raw = validRaw();
    raw.child.firstNameAr = 'Ahmed';
    raw.child.lastNameLatin = 'العلوي';
    raw.civilStatus.birthDateHijri = '1442-01-20';
    raw.siblings[0].birthDate = '2020-06-01';
    raw.father.phone = '12345';
    expect(errorsOf(raw)).toEqual([
      { field: 'child.firstNameAr', code: 'validation.arabicOnly' },
      { field: 'child.lastNameLatin', code: 'validation.latinOnly' },
      { field: 'civilStatus.birthDateHijri', code: 'validation.hijriMismatch', params: { expected: '1442-01-13' } },
      { field: 'siblings.0.birthDate', code: 'validation.siblingNotBelowSchoolAge' },
      { field: 'father.phone', code: 'validation.phone' },
    ]);
  });

  test('guardian (tutor) block missing: names, CIN, address and phone required', () => {
    const raw = validRaw();
    raw.guardianRole = 'tutor';
    delete raw.tutor;
    expect(errorsOf(raw)).toEqual([
      { field: 'tutor.firstNameAr', code: 'validation.required' },
      { field: 'tutor.lastNameAr', code: 'validation.required' },
      { field: 'tutor.firstNameLatin', code: 'validation.required' },
      { field: 'tutor.lastNameLatin', code: 'validation.required' },
      { field: 'tutor.cin', code: 'validation.required' },
      { field: 'tutor.address', code: 'validation.required' },
      { field: 'tutor.phone', code: 'validation.required' },
    ]);
  });

  test('guardian role unknown', () => {
    const raw = validRaw();
    raw.guardianRole = 'uncle';
    expect(errorsOf(raw)).toEqual([{ field: 'guardianRole', code: 'validation.guardianRole' }]);
  });

  test('guardian contact: CIN, phone, email formats', () => {
    const raw = validRaw();
    raw.father.cin = '123456';
    raw.father.phone = '0812345678';
    raw.father.email = 'not-an-email';
    expect(errorsOf(raw)).toEqual([
      { field: 'father.cin', code: 'validation.cin' },
      { field: 'father.phone', code: 'validation.phone' },
      { field: 'father.email', code: 'validation.email' },
    ]);
  });

  test('guardian with a fixed line is refused at the phone field, saying it is a landline, unless an email is given', () => {
    const raw = validRaw();
    raw.father.phone = '0537123456';
    expect(errorsOf(raw)).toEqual([{ field: 'father.phone', code: 'validation.phoneLandline' }]);
    raw.father.email = 'parent@example.ma';
    const r = parseSubmission(raw, ctx);
    expect(r.ok && [r.value.father.phone, r.value.father.email]).toEqual(['+212537123456', 'parent@example.ma']);
  });

  test('non-guardian parent: optional contact fields are validated when given', () => {
    const raw = validRaw();
    raw.mother = { ...raw.mother, cin: 'ABC12345678', phone: '12345', email: 'x@' };
    expect(errorsOf(raw)).toEqual([
      { field: 'mother.cin', code: 'validation.cin' },
      { field: 'mother.phone', code: 'validation.phone' },
      { field: 'mother.email', code: 'validation.email' },
    ]);
  });

  test('lengths', () => {
    const raw = validRaw();
    raw.child.firstNameAr = 'م'.repeat(61);
    raw.civilStatus.birthPlace = 'x'.repeat(101);
    raw.civilStatus.birthCertificateNumber = '1'.repeat(31);
    raw.civilStatus.fatherLineage = 'م'.repeat(151);
    raw.father.address = 'a'.repeat(201);
    raw.father.profession = 'a'.repeat(81);
    expect(errorsOf(raw)).toEqual([
      { field: 'child.firstNameAr', code: 'validation.tooLong', params: { max: '60' } },
      { field: 'civilStatus.birthPlace', code: 'validation.tooLong', params: { max: '100' } },
      { field: 'civilStatus.birthCertificateNumber', code: 'validation.tooLong', params: { max: '30' } },
      { field: 'civilStatus.fatherLineage', code: 'validation.tooLong', params: { max: '150' } },
      { field: 'father.profession', code: 'validation.tooLong', params: { max: '80' } },
      { field: 'father.address', code: 'validation.tooLong', params: { max: '200' } },
    ]);
  });

  test('lengths count after cleaning', () => {
    const raw = validRaw();
    raw.child.firstNameAr = `  ${'م'.repeat(60)}   `;
    expect(parseSubmission(raw, ctx).ok).toBe(true);
  });

  test('dates: format, future birth, certificate before birth or in the future', () => {
    const raw = validRaw();
    raw.civilStatus.birthDate = '2026-04-16';
    raw.civilStatus.birthDateHijri = '1442-13-01';
    raw.civilStatus.birthCertificateDate = '2026-04-16';
    raw.siblings[0].birthDate = '2023-02-29';
    expect(errorsOf(raw)).toEqual([
      { field: 'civilStatus.birthDate', code: 'validation.birthDateFuture' },
      { field: 'civilStatus.birthDateHijri', code: 'validation.hijriDate' },
      { field: 'civilStatus.birthCertificateDate', code: 'validation.dateFuture' },
      { field: 'siblings.0.birthDate', code: 'validation.date' },
    ]);
    const raw2 = validRaw();
    raw2.civilStatus.birthCertificateDate = '2020-08-31';
    raw2.siblings[0].birthDate = '2026-05-01';
    expect(errorsOf(raw2)).toEqual([
      { field: 'civilStatus.birthCertificateDate', code: 'validation.certificateBeforeBirth' },
      { field: 'siblings.0.birthDate', code: 'validation.birthDateFuture' },
    ]);
  });

  test('dates before 1900 or not ISO are invalid', () => {
    const raw = validRaw();
    raw.civilStatus.birthDate = '01/09/2020';
    raw.civilStatus.birthCertificateDate = '1899-12-31';
    expect(errorsOf(raw)).toEqual([
      { field: 'civilStatus.birthDate', code: 'validation.date' },
      { field: 'civilStatus.birthCertificateDate', code: 'validation.date' },
    ]);
  });

  test('too old for the level: more than 10 years before the start year, or over-age for preschool', () => {
    const raw = validRaw();
    raw.civilStatus.birthDate = '2015-12-31';
    raw.civilStatus.birthDateHijri = '1437-03-20';
    expect(errorsOf(raw)).toEqual([{ field: 'civilStatus.birthDate', code: 'validation.tooOldForLevel' }]);
    raw.civilStatus.birthDate = '2016-01-01';
    raw.civilStatus.birthDateHijri = '1437-03-21';
    expect(parseSubmission(raw, ctx).ok).toBe(true);

    const pre = validRaw();
    pre.level = 'preschool';
    pre.siblings = [];
    expect(errorsOf(pre, { ageRule: preschool, today: '2026-04-15' })).toEqual([
      { field: 'civilStatus.birthDate', code: 'validation.tooOldForLevel' },
    ]);
  });

  test('sibling born on the last eligible day is not below school age; the next day is', () => {
    const raw = validRaw();
    raw.siblings[0].birthDate = '2020-12-31';
    expect(errorsOf(raw)).toEqual([{ field: 'siblings.0.birthDate', code: 'validation.siblingNotBelowSchoolAge' }]);
    raw.siblings[0].birthDate = '2021-01-01';
    expect(parseSubmission(raw, ctx).ok).toBe(true);
  });

  test('sibling errors use the form\'s index, with siblings sent as object keys', () => {
    const raw = validRaw();
    raw.siblings = {
      '0': { firstNameAr: '', lastNameAr: '', firstNameLatin: '', lastNameLatin: '', birthDate: '' },
      '1': { firstNameAr: 'Salma', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '' },
      '4': { firstNameAr: 'يوسف', lastNameAr: 'العلوي', firstNameLatin: 'Youssef', lastNameLatin: '', birthDate: '2024-06-31' },
      name: 'x',
    };
    expect(errorsOf(raw)).toEqual([
      { field: 'siblings.name', code: 'validation.invalid' },
      { field: 'siblings.1.firstNameAr', code: 'validation.arabicOnly' },
      { field: 'siblings.1.birthDate', code: 'validation.required' },
      { field: 'siblings.4.lastNameLatin', code: 'validation.required' },
      { field: 'siblings.4.birthDate', code: 'validation.date' },
    ]);
  });

  test('too many siblings', () => {
    const raw = validRaw();
    raw.siblings = Array.from({ length: 16 }, () => ({ ...validRaw().siblings[0] }));
    expect(errorsOf(raw)).toEqual([{ field: 'siblings', code: 'validation.tooMany', params: { max: '15' } }]);
  });

  test('lineage in Arabic or Latin script, not mixed with digits', () => {
    const raw = validRaw();
    raw.civilStatus.fatherLineage = 'Mohamed ben Ali';
    raw.civilStatus.motherLineage = 'فاطمة بنت 3';
    expect(errorsOf(raw)).toEqual([{ field: 'civilStatus.motherLineage', code: 'validation.nameChars' }]);
  });

  test('certificate number characters', () => {
    const raw = validRaw();
    raw.civilStatus.birthCertificateNumber = '12<script>';
    expect(errorsOf(raw)).toEqual([{ field: 'civilStatus.birthCertificateNumber', code: 'validation.invalid' }]);
  });

  test('school year, level and codes', () => {
    const raw = validRaw();
    raw.schoolYear = '2026-2028';
    raw.level = 'college';
    raw.residence.communeCode = '04 441';
    raw.residence.residenceZoneCode = 'Z'.repeat(33);
    raw.schoolCode = "04441B12'--";
    raw.language = 'en';
    expect(errorsOf(raw)).toEqual([
      { field: 'schoolYear', code: 'validation.schoolYear' },
      { field: 'level', code: 'validation.level' },
      { field: 'residence.communeCode', code: 'validation.invalid' },
      { field: 'residence.residenceZoneCode', code: 'validation.invalid' },
      { field: 'schoolCode', code: 'validation.invalid' },
      { field: 'language', code: 'validation.invalid' },
    ]);
  });

  test('school year and level must be those of the age rule', () => {
    const raw = validRaw();
    raw.schoolYear = '2027-2028';
    raw.level = 'preschool';
    expect(errorsOf(raw)).toEqual([
      { field: 'schoolYear', code: 'validation.schoolYear' },
      { field: 'level', code: 'validation.level' },
    ]);
  });

  test('values of the wrong type are reported at their path and the rest is still checked', () => {
    const raw = validRaw();
    raw.child.firstNameAr = ['أحمد', 'محمد']; // a field posted twice
    raw.civilStatus = 'x';
    raw.siblings[0] = 'row';
    raw.father.phone = 612345678;
    raw.mother.firstNameAr = 'Fatima';
    expect(errorsOf(raw)).toEqual([
      { field: 'child.firstNameAr', code: 'validation.invalid' },
      { field: 'civilStatus', code: 'validation.invalid' },
      { field: 'siblings.0', code: 'validation.invalid' },
      { field: 'father.phone', code: 'validation.invalid' },
      { field: 'mother.firstNameAr', code: 'validation.arabicOnly' },
    ]);
  });

  test('not an object', () => {
    for (const raw of [null, 'form', 42, ['a']]) {
      expect(errorsOf(raw)).toEqual([{ field: '', code: 'validation.invalid' }]);
    }
  });

  test('every code produced is in SUBMISSION_ERROR_CODES', () => {
    const raw = validRaw();
    raw.child.firstNameAr = 'x';
    raw.father.email = 'bad';
    for (const e of errorsOf(raw)) expect(SUBMISSION_ERROR_CODES).toContain(e.code);
  });

  test('an invalid ctx.today is a programming error', () => {
    expect(() => parseSubmission(validRaw(), { ageRule: primary1, today: '15/04/2026' })).toThrow(RangeError);
  });
});

describe('submissionToRaw', () => {
  test('round trip', () => {
    expect(parseSubmission(submissionToRaw(expectedValue), ctx)).toEqual({ ok: true, value: expectedValue });
  });
  test('round trip with a tutor', () => {
    const raw = validRaw();
    raw.guardianRole = 'tutor';
    raw.tutor = { ...raw.father, cin: 'J12345', email: 'tutor@example.ma' };
    const first = parseSubmission(raw, ctx);
    if (!first.ok) throw new Error('expected valid');
    expect(submissionToRaw(first.value).tutor).toEqual(first.value.tutor);
    expect(parseSubmission(submissionToRaw(first.value), ctx)).toEqual(first);
  });
  test('no tutor key when there is no tutor; a copy, not the same objects', () => {
    const raw = submissionToRaw(expectedValue);
    expect('tutor' in raw).toBe(false);
    expect(raw.child).toEqual(expectedValue.child);
    expect(raw.child).not.toBe(expectedValue.child);
  });
});
