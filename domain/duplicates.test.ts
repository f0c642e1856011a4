import { duplicateKeys, normalizeCertificateNumber } from './duplicates';

describe('normalizeCertificateNumber', () => {
  test.each([
    ['1234/2020', '12342020'],
    [' 1234 / 2020 ', '12342020'],
    ['1234-2020', '12342020'],
    ['١٢٣٤/٢٠٢٠', '12342020'],
    ['ab-12', 'AB12'],
    ['', ''],
  ])('%j → %j', (s, expected) => {
    expect(normalizeCertificateNumber(s)).toBe(expected);
  });
});

describe('duplicateKeys', () => {
  const child = { birthDate: '2020-05-04', firstNameAr: 'أحمد', lastNameAr: 'العلوي', birthCertificateNumber: '123/2020' };

  test('certificate key and name key', () => {
    expect(duplicateKeys(child)).toEqual(['bc:1232020|2020-05-04', 'name:احمد العلوي|2020-05-04']);
  });

  test('the same child typed differently shares both keys', () => {
    const again = { birthDate: '2020-05-04', firstNameAr: ' أَحْمَد ', lastNameAr: 'العـلوي', birthCertificateNumber: '123 / 2020' };
    expect(duplicateKeys(again)).toEqual(duplicateKeys(child));
  });

  test('a different certificate number still shares the name key', () => {
    const keys = duplicateKeys({ ...child, birthCertificateNumber: '999/2020' });
    expect(keys.filter((k) => duplicateKeys(child).includes(k))).toEqual(['name:احمد العلوي|2020-05-04']);
  });

  test('a twin (other first name, own certificate number) shares nothing', () => {
    const twin = { ...child, firstNameAr: 'محمد', birthCertificateNumber: '124/2020' };
    expect(duplicateKeys(twin).some((k) => duplicateKeys(child).includes(k))).toBe(false);
  });

  test('another birth date shares nothing', () => {
    expect(duplicateKeys({ ...child, birthDate: '2020-05-05' }).some((k) => duplicateKeys(child).includes(k))).toBe(false);
  });

  test('empty parts are left out', () => {
    expect(duplicateKeys({ ...child, birthCertificateNumber: ' / ' })).toEqual(['name:احمد العلوي|2020-05-04']);
    expect(duplicateKeys({ ...child, firstNameAr: '', lastNameAr: ' ' })).toEqual(['bc:1232020|2020-05-04']);
  });
});
