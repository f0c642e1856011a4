/**
 * Retention (law 09-08) on the real stack: the `anonymizeExpired` workflow, run by its own worker
 * on a unique task queue, anonymises exactly the expired rejected and withdrawn requests (per
 * school year's `anonymize_after_days`), deletes their photos, keeps the statistics, writes one
 * audit row per run, and does nothing more when run again; `ensureRetentionSchedule` creates (then
 * updates) the daily Temporal Schedule `tasjil-retention`.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createRetentionActivities } from '../activities/retention';
import { ensureRetentionSchedule, RETENTION_SCHEDULE_ID } from '../temporal/schedules';
import { startTestApp, type TestApp } from './support/app';

let t: TestApp;
/** A Rabat demo school no other test file writes to (and outside the dashboard test's Casablanca-Anfa). */
const SCHOOL = { school: '04421A04' };
const PERSON = JSON.stringify({ firstNameAr: 'أحمد', lastNameAr: 'الإدريسي', firstNameLatin: 'Ahmed', lastNameLatin: 'Idrissi', cin: 'BE123456', profession: 'تاجر', address: 'الدار البيضاء', phone: '+212600000001', email: 'ahmed@example.ma' });

const sql = <T extends Array<Record<string, unknown>> = Array<Record<string, unknown>>>(q: string, p: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, p);

async function insert(ref: string, status: string, year: string, updatedDaysAgo: number, photo = false): Promise<void> {
  const id = randomUUID();
  const [{ zone, commune }] = await sql<Array<{ zone: string; commune: string }>>(
    'select z.code as zone, z.commune_code as commune from school_zone sz join residence_zone z on z.code = sz.residence_zone_code where sz.school_code = ? order by z.code limit 1', [SCHOOL.school]);
  const photoKey = photo ? `ret-${ref}` : null;
  if (photoKey) await sql(`insert into photo (key, content_type, bytes, width, height, created_at) values (?, 'image/jpeg', '\\xffd8'::bytea, 300, 400, now())`, [photoKey]);
  await sql(
    `insert into pre_registration (id, reference, submission_token, status, school_year, level, school_code, commune_code, residence_zone_code,
       child_first_name_ar, child_last_name_ar, child_first_name_latin, child_last_name_latin, birth_date, birth_date_hijri, birth_place,
       birth_certificate_number, birth_certificate_date, father_lineage, mother_lineage, guardian_role, father, mother, tutor, siblings,
       contact_email, contact_phone, language, photo_key, search_text, duplicate_keys, decision, rejection_reasons, workflow_id, submitted_at, updated_at, child_key)
     values (?, ?, ?, ?, ?, 'primary1', ?, ?, ?, 'سلمى', 'الإدريسي', 'Salma', 'Idrissi', '2021-03-01', '1442-07-17', 'الدار البيضاء',
       '777/2021', '2021-03-10', 'أحمد بن محمد', 'خديجة بنت علي', 'tutor', ?::jsonb, ?::jsonb, ?::jsonb, '[{"firstNameAr":"ليلى","lastNameAr":"الإدريسي","firstNameLatin":"Laila","lastNameLatin":"Idrissi","birthDate":"2018-01-01"}]'::jsonb,
       'ahmed@example.ma', '+212600000001', 'ar', ?, 'salma idrissi 777/2021 be123456', '{k1,k2}'::text[], ?, ?::text[], ?,
       now() - make_interval(days => ? + 5), now() - make_interval(days => ?), ?)`,
    [id, ref, randomUUID().replace(/-/g, ''), status, year, SCHOOL.school, commune, zone, PERSON, PERSON, PERSON, photoKey,
      status === 'rejected' ? 'reject' : null, status === 'rejected' ? '{underAge}' : '{}', `pre-registration-${ref}`, updatedDaysAgo, updatedDaysAgo, `${year}|bc:7772021|2021-03-01|${ref}`],
  );
  await sql(`insert into notification (pre_registration_id, event, occurrence, channel, idempotency_key, recipient, status, attempts) values (?, 'received', 0, 'email', ?, 'ahmed@example.ma', 'sent', 1)`, [id, `${id}:received:0:email`]);
  // A parent's edit revision (a copy of the submission, with its own photo).
  await sql(`insert into photo (key, content_type, bytes, width, height, created_at) values (?, 'image/jpeg', '\\xffd8'::bytea, 300, 400, now())`, [`rev-${ref}`]);
  await sql(`insert into pre_registration_revision (id, pre_registration_id, data, photo_key, status, created_at) values (?, ?, ?::jsonb, ?, 'refused', now())`,
    [randomUUID(), id, JSON.stringify({ father: JSON.parse(PERSON) }), `rev-${ref}`]);
}

beforeAll(async () => {
  t = await startTestApp({ web: false, withWorker: false });
  // 2027-2028 keeps rejected/withdrawn requests 30 days in this test, 2026-2027 the seeded 365.
  await sql(`update school_year set anonymize_after_days = 30 where code = '2027-2028'`);
  await insert('RET-REJ-OLD', 'rejected', '2027-2028', 40, true);
  await insert('RET-WDR-OLD', 'withdrawn', '2027-2028', 31);
  await insert('RET-REJ-NEW', 'rejected', '2027-2028', 20);
  await insert('RET-APP-OLD', 'approved', '2027-2028', 400);
  await insert('RET-UND-OLD', 'underReview', '2027-2028', 400);
  await insert('RET-REJ-PREV', 'rejected', '2026-2027', 400);
  await insert('RET-WDR-PREV', 'withdrawn', '2026-2027', 300);
}, 120000);

afterAll(async () => {
  if (t) {
    await sql(`update school_year set anonymize_after_days = 365 where code = '2027-2028'`);
    await t.stop();
  }
});

describe('retention', () => {
  test('the workflow anonymises exactly the expired rejected and withdrawn requests, once', async () => {
    const taskQueue = `retention-test-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: t.config.TEMPORAL_ADDRESS });
    const worker = await Worker.create({
      connection, namespace: t.config.TEMPORAL_NAMESPACE, taskQueue,
      workflowsPath: require.resolve('../workflows/retention'), activities: createRetentionActivities(t.orm),
    });
    const result = await worker.runUntil(async () => {
      const first = await t.temporal.client.workflow.execute('anonymizeExpired', { taskQueue, workflowId: `retention-test-${randomUUID()}`, args: [] });
      const second = await t.temporal.client.workflow.execute('anonymizeExpired', { taskQueue, workflowId: `retention-test-${randomUUID()}`, args: [] });
      return { first, second };
    });
    await connection.close();
    expect(result).toEqual({ first: { anonymized: 3 }, second: { anonymized: 0 } });

    const rows = await sql<Array<Record<string, unknown>>>(
      `select reference, status, school_code, school_year, rejection_reasons, decision, child_first_name_ar, child_last_name_latin, birth_place,
              birth_certificate_number, father_lineage, mother_lineage, father, mother, tutor, siblings, contact_email, contact_phone, search_text,
              duplicate_keys, photo_key, child_key, anonymized_at is not null as anonymized, birth_date::text as birth_date
         from pre_registration where reference like 'RET-%' order by reference`);
    const byRef = new Map(rows.map((r) => [String(r.reference), r]));
    const blank = { firstNameAr: '', lastNameAr: '', firstNameLatin: '', lastNameLatin: '', cin: '', profession: '', address: '', phone: '', email: '' };
    for (const ref of ['RET-REJ-OLD', 'RET-WDR-OLD', 'RET-REJ-PREV']) {
      const r = byRef.get(ref)!;
      expect(r).toMatchObject({
        anonymized: true, child_first_name_ar: '—', child_last_name_latin: '—', birth_place: '', birth_certificate_number: '',
        father_lineage: '', mother_lineage: '', father: blank, mother: blank, tutor: blank, siblings: [], contact_email: '', contact_phone: '',
        search_text: '', duplicate_keys: [], photo_key: null, child_key: null, school_code: SCHOOL.school, birth_date: '2021-03-01',
      });
    }
    expect(byRef.get('RET-REJ-OLD')).toMatchObject({ status: 'rejected', decision: 'reject', rejection_reasons: ['underAge'] });
    expect(byRef.get('RET-WDR-OLD')!.status).toBe('withdrawn');
    for (const ref of ['RET-REJ-NEW', 'RET-APP-OLD', 'RET-UND-OLD', 'RET-WDR-PREV']) {
      expect(byRef.get(ref)).toMatchObject({ anonymized: false, child_first_name_ar: 'سلمى', contact_email: 'ahmed@example.ma', father: JSON.parse(PERSON), child_key: expect.stringContaining('|bc:7772021|2021-03-01|') });
    }
    expect(await sql(`select key from photo where key = 'ret-RET-REJ-OLD'`)).toEqual([]);
    // The parent's edit revisions of the anonymised requests are gone, with their photos; the others stay.
    const revisions = await sql<Array<{ reference: string }>>(
      `select p.reference from pre_registration_revision r join pre_registration p on p.id = r.pre_registration_id where p.reference like 'RET-%' order by 1`);
    expect(revisions.map((r) => r.reference)).toEqual(['RET-APP-OLD', 'RET-REJ-NEW', 'RET-UND-OLD', 'RET-WDR-PREV']);
    const revisionPhotos = await sql<Array<{ key: string }>>(`select key from photo where key like 'rev-RET-%' order by 1`);
    expect(revisionPhotos.map((r) => r.key)).toEqual(['rev-RET-APP-OLD', 'rev-RET-REJ-NEW', 'rev-RET-UND-OLD', 'rev-RET-WDR-PREV']);
    const recipients = await sql<Array<{ reference: string; recipient: string }>>(
      `select p.reference, n.recipient from notification n join pre_registration p on p.id = n.pre_registration_id where p.reference like 'RET-%' and n.recipient = '' order by 1`);
    expect(recipients.map((r) => r.reference)).toEqual(['RET-REJ-OLD', 'RET-REJ-PREV', 'RET-WDR-OLD']);
    // (test/documents.test.ts runs the retention at a "now" two hours ahead, kept out here)
    const audit = await sql<Array<{ actor_id: string; details: unknown }>>(`select actor_id, details from audit_log where action = 'retention.anonymize' and at <= now() order by id`);
    expect(audit).toEqual([{ actor_id: 'system', details: { count: 3 } }, { actor_id: 'system', details: { count: 0 } }]);
  }, 120000);

  test('ensureRetentionSchedule creates the daily schedule, then updates it', async () => {
    const client = t.temporal.client;
    await ensureRetentionSchedule(client, 'retention-schedule-test');
    const handle = client.schedule.getHandle(RETENTION_SCHEDULE_ID);
    try {
      const d = await handle.describe();
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'anonymizeExpired', taskQueue: 'retention-schedule-test' });
      expect(d.spec.intervals).toEqual([{ every: 86400000, offset: 7200000 }]);
      await ensureRetentionSchedule(client, 'retention-schedule-test-2', { interval: '1 hour' });
      const u = await handle.describe();
      expect(u.action).toMatchObject({ workflowType: 'anonymizeExpired', taskQueue: 'retention-schedule-test-2' });
      expect(u.spec.intervals?.map((i) => i.every)).toEqual([3600000]);
    } finally {
      await handle.delete();
    }
  });
});
