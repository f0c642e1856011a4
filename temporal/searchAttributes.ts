import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of the `preRegistration` workflow: codes only, never personal data.
 * Registered on the namespace at start-up (dev server flags or the operator API).
 */
export const SCHOOL_CODE = defineSearchAttributeKey('TasjilSchoolCode', SearchAttributeType.KEYWORD);
export const DIRECTORATE_CODE = defineSearchAttributeKey('TasjilDirectorateCode', SearchAttributeType.KEYWORD);
export const ACADEMY_CODE = defineSearchAttributeKey('TasjilAcademyCode', SearchAttributeType.KEYWORD);
export const STATUS = defineSearchAttributeKey('TasjilStatus', SearchAttributeType.KEYWORD);
export const SCHOOL_YEAR = defineSearchAttributeKey('TasjilSchoolYear', SearchAttributeType.KEYWORD);
export const LEVEL = defineSearchAttributeKey('TasjilLevel', SearchAttributeType.KEYWORD);

/** Name → type, for `temporal server start-dev --search-attribute Name=Keyword`. */
export const CUSTOM_SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' }> = [
  SCHOOL_CODE, DIRECTORATE_CODE, ACADEMY_CODE, STATUS, SCHOOL_YEAR, LEVEL,
].map((k) => ({ name: k.name, type: 'Keyword' as const }));
