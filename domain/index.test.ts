import * as domain from './index';

test('the index re-exports every module', () => {
  const functions = [
    'isIsoDate', 'todayInCasablanca', 'ageOn', 'addDays', 'diffDays',
    'classifyAge', 'defaultAgeRules',
    'gregorianToHijri', 'isHijriDate', 'checkHijriConsistency', 'formatHijri',
    'cleanName', 'isArabicName', 'isLatinName', 'normalizeArabicForSearch', 'normalizeLatinForSearch', 'normalizeForSearch', 'matchesSearch',
    'normalizePhone', 'normalizeCin', 'isEmail',
    'generateReference', 'isReference', 'workflowIdFor', 'normalizeReference',
    'checkZone',
    'duplicateKeys',
    'isRejectionReasonCode', 'validateDecision',
    'parseSubmission', 'submissionToRaw',
  ];
  for (const name of functions) expect([name, typeof (domain as Record<string, unknown>)[name]]).toEqual([name, 'function']);
  expect(domain.DEFAULT_REJECTION_REASONS).toHaveLength(5);
  expect(domain.LEVELS).toEqual(['preschool', 'primary1']);
});
