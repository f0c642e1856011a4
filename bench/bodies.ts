/**
 * The submission bodies of the benchmarks (bench:submit, bench:web): a valid pre-registration in
 * the API's JSON shape with different names, dates and numbers each time, and the small photo.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import sharp from 'sharp';
import { gregorianToHijri } from '../domain/hijri';
import { currentNotice } from '../web/services/privacy';

const FIRST_AR = ['أحمد', 'محمد', 'يوسف', 'آدم', 'إلياس', 'ريان', 'أيوب', 'عمر', 'حمزة', 'زكرياء', 'فاطمة', 'مريم', 'سلمى', 'آمنة', 'هبة', 'نور', 'إيمان', 'خديجة', 'سارة', 'ياسمين'];
const FIRST_LA = ['Ahmed', 'Mohammed', 'Youssef', 'Adam', 'Ilyas', 'Rayan', 'Ayoub', 'Omar', 'Hamza', 'Zakaria', 'Fatima', 'Meryem', 'Salma', 'Amina', 'Hiba', 'Nour', 'Imane', 'Khadija', 'Sara', 'Yasmine'];
const LAST_AR = ['العلوي', 'بناني', 'الإدريسي', 'التازي', 'الفاسي', 'بنعلي', 'الشرقاوي', 'المريني', 'البقالي', 'الوزاني', 'السوسي', 'الرحماني', 'بنجلون', 'القادري', 'الصقلي', 'الحسني', 'اليوسفي', 'العمراني', 'الزياني', 'الكتاني'];
const LAST_LA = ['El Alaoui', 'Bennani', 'El Idrissi', 'Tazi', 'El Fassi', 'Benali', 'Cherkaoui', 'Merini', 'Bakkali', 'Ouazzani', 'Soussi', 'Rahmani', 'Benjelloun', 'Kadiri', 'Sqalli', 'Hassani', 'Youssfi', 'Amrani', 'Ziani', 'Kettani'];
const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
export const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

/** A school with one of its zones, and the school year to submit for. */
export interface SchoolChain { schoolYear: string; schoolCode: string; zoneCode: string; communeCode: string; directorateCode: string; academyCode: string }

/** The school, zone and year every submission names: the first school with a zone, in the current school year. */
export async function schoolChain(pool: Pick<Pool, 'query'>): Promise<SchoolChain> {
  const s = (await pool.query<{ school_code: string; zone_code: string; commune_code: string; directorate_code: string; academy_code: string; year: string }>(
    `select s.code as school_code, z.code as zone_code, z.commune_code, s.directorate_code, d.academy_code, (select code from school_year where is_current) as year
       from school s join school_zone sz on sz.school_code = s.code join residence_zone z on z.code = sz.residence_zone_code
       join provincial_directorate d on d.code = s.directorate_code
      where s.kind = 'school' order by s.code, z.code limit 1`)).rows[0];
  if (!s) throw new Error('no school with a zone in the database: seed it first (npm run seed)');
  return { schoolYear: s.year, schoolCode: s.school_code, zoneCode: s.zone_code, communeCode: s.commune_code, directorateCode: s.directorate_code, academyCode: s.academy_code };
}

/**
 * A valid submission (the API's JSON shape), different names, dates and numbers each time (the
 * duplicate check stays realistic). `certificateNumber` replaces the random one (a caller that
 * must never meet the same child twice passes a serial).
 */
export function submission(s: SchoolChain, certificateNumber?: string): Record<string, unknown> {
  const i = Math.floor(Math.random() * 20);
  const j = Math.floor(Math.random() * 20);
  const day = new Date(Date.UTC(2021, 0, 1) + Math.floor(Math.random() * 360) * 86400_000);
  const birthDate = day.toISOString().slice(0, 10);
  const certDate = new Date(day.getTime() + 10 * 86400_000).toISOString().slice(0, 10);
  return {
    schoolYear: s.schoolYear, level: 'primary1',
    child: { firstNameAr: FIRST_AR[i], lastNameAr: LAST_AR[j], firstNameLatin: FIRST_LA[i], lastNameLatin: LAST_LA[j] },
    civilStatus: {
      birthDate, birthDateHijri: gregorianToHijri(birthDate), birthPlace: 'الرباط',
      birthCertificateNumber: certificateNumber ?? `${digits(5)}/2021`, birthCertificateDate: certDate,
      fatherLineage: `محمد بن أحمد ${LAST_AR[j]}`, motherLineage: 'فاطمة بنت علي',
    },
    siblings: [],
    guardianRole: 'father',
    father: {
      firstNameAr: pick(FIRST_AR.slice(0, 10)), lastNameAr: LAST_AR[j], firstNameLatin: 'Mohammed', lastNameLatin: LAST_LA[j],
      cin: `AB${digits(6)}`, profession: 'أستاذ', address: 'حي الرياض، الرباط', phone: `0612${digits(6)}`, email: `bench-${randomUUID().slice(0, 8)}@example.ma`,
    },
    mother: { firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani', cin: '', profession: '', address: '', phone: '', email: '' },
    residence: { communeCode: s.communeCode, residenceZoneCode: s.zoneCode },
    schoolCode: s.schoolCode,
    language: 'ar',
    privacyNoticeVersion: currentNotice().version, // the notice accepted (checkbox or API field)
  };
}

/** The small photo: a 300×400 JPEG, as in the tests. */
export function smallPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 400, channels: 3, background: { r: 200, g: 180, b: 160 } } }).jpeg().toBuffer();
}
