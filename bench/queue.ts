/**
 * Benchmark of the directors' queue (issue 4): seeds N pre-registrations (default 1,000,000)
 * across the demo schools in a separate database with one INSERT … SELECT generate_series (no
 * ORM), then measures p50/p95/p99 of the same service function the route uses (`queuePage`) for a
 * director's queue page and for searches by name (Arabic, Latin), reference and CIN, and prints
 * EXPLAIN (ANALYZE) of each statement to show index use.
 *
 *   npx tsx bench/queue.ts                   # 1,000,000 rows into tasjil_bench (re-created)
 *   BENCH_ROWS=200000 npx tsx bench/queue.ts
 *   BENCH_DATABASE_URL=postgres://… BENCH_REUSE=1 npx tsx bench/queue.ts   # keep the seeded data
 */
import { Client } from 'pg';
import { createOrm } from '../entities/orm';
import { StaffUser } from '../entities';
import { migrateUp } from '../migrations/run';
import { seedAll } from '../migrations/seed';
import { normalizeForSearch } from '../domain/names';
import { queuePage, queueStatements, schoolsInScope, type QueueQuery } from '../web/services/queue';

const URL_ = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tasjil_bench';
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REUSE = process.env.BENCH_REUSE === '1';
const ITER = Number(process.env.BENCH_ITERATIONS ?? 200);

const FIRST_AR = ['أحمد', 'محمد', 'يوسف', 'آدم', 'إلياس', 'ريان', 'أيوب', 'عمر', 'حمزة', 'زكرياء', 'فاطمة', 'مريم', 'سلمى', 'آمنة', 'هبة', 'نور', 'إيمان', 'خديجة', 'سارة', 'ياسمين'];
const FIRST_LA = ['Ahmed', 'Mohammed', 'Youssef', 'Adam', 'Ilyas', 'Rayan', 'Ayoub', 'Omar', 'Hamza', 'Zakaria', 'Fatima', 'Meryem', 'Salma', 'Amina', 'Hiba', 'Nour', 'Imane', 'Khadija', 'Sara', 'Yasmine'];
const LAST_AR = ['العلوي', 'بناني', 'الإدريسي', 'التازي', 'الفاسي', 'بنعلي', 'الشرقاوي', 'المريني', 'البقالي', 'الوزاني', 'السوسي', 'الرحماني', 'بنجلون', 'القادري', 'الصقلي', 'الحسني', 'اليوسفي', 'العمراني', 'الزياني', 'الكتاني'];
const LAST_LA = ['El Alaoui', 'Bennani', 'El Idrissi', 'Tazi', 'El Fassi', 'Benali', 'Cherkaoui', 'Merini', 'Bakkali', 'Ouazzani', 'Soussi', 'Rahmani', 'Benjelloun', 'Kadiri', 'Sqalli', 'Hassani', 'Youssfi', 'Amrani', 'Ziani', 'Kettani'];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function ensureDatabase(): Promise<void> {
  const u = new URL(URL_);
  const db = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  const exists = (await c.query('select 1 from pg_database where datname = $1', [db])).rowCount;
  if (exists && !REUSE) await c.query(`drop database "${db}" with (force)`);
  if (!exists || !REUSE) await c.query(`create database "${db}"`);
  await c.end();
}

async function seed(c: Client): Promise<void> {
  const have = Number((await c.query('select count(*) from pre_registration')).rows[0].count);
  if (have >= ROWS) { console.log(`reusing ${have} rows`); return; }
  await c.query('set maintenance_work_mem = \'512MB\'');
  await c.query('set synchronous_commit = off');
  // Secondary indexes are dropped during the load and rebuilt after (the usual bulk-load path).
  const idx = (await c.query(`select indexname, indexdef from pg_indexes i where tablename = 'pre_registration'
      and not exists (select 1 from pg_constraint k where k.conname = i.indexname)`)).rows as Array<{ indexname: string; indexdef: string }>;
  for (const i of idx) await c.query(`drop index "${i.indexname}"`);
  const t0 = Date.now();
  const params = [FIRST_AR, LAST_AR, FIRST_LA, LAST_LA, FIRST_AR.map(normalizeForSearch), LAST_AR.map(normalizeForSearch), FIRST_LA.map(normalizeForSearch), LAST_LA.map(normalizeForSearch)];
  const batch = 250_000;
  for (let start = have; start < ROWS; start += batch) {
    const end = Math.min(ROWS, start + batch);
    await c.query(`
      with sz as (
        select s.code as school_code, min(z.code) as zone_code, min(z.commune_code) as commune_code,
               row_number() over (order by s.code) - 1 as k
          from school s join school_zone x on x.school_code = s.code join residence_zone z on z.code = x.residence_zone_code
         where s.is_demo group by s.code
      ), n as (select count(*) as cnt from sz),
      g as (
        select i, (select cnt from n) as cnt,
               'P27-B' || upper(lpad(to_hex(i), 5, '0')) || '-' || upper(substr(md5(i::text), 1, 5)) as ref,
               'BK' || lpad((i % 1000000)::text, 6, '0') as cin,
               (i % 20) as f, ((i / 20) % 20) as l
          from generate_series($9::int, $10::int - 1) i
      )
      insert into pre_registration (id, reference, submission_token, status, school_year, level, school_code, commune_code, residence_zone_code,
        child_first_name_ar, child_last_name_ar, child_first_name_latin, child_last_name_latin, birth_date, birth_date_hijri, birth_place,
        birth_certificate_number, birth_certificate_date, father_lineage, mother_lineage, guardian_role, father, mother, tutor, siblings,
        contact_email, contact_phone, contact_phone_is_mobile, language, photo_key, search_text, duplicate_keys,
        age_check, zone_check, duplicate_check, hijri_check, checks, decision, rejection_reasons, workflow_id, submitted_at, updated_at)
      select gen_random_uuid(), g.ref, 'bench-' || g.i, 
             (array['underReview','underReview','underReview','underReview','approved','registered','rejected','submitted','correctionRequested','withdrawn'])[1 + g.i % 10],
             '2027-2028', case when g.i % 3 = 0 then 'preschool' else 'primary1' end,
             sz.school_code, sz.commune_code, sz.zone_code,
             ($1::text[])[1 + g.f], ($2::text[])[1 + g.l], ($3::text[])[1 + g.f], ($4::text[])[1 + g.l],
             date '2020-01-01' + (g.i % 700), '1441-05-05', 'الرباط',
             (g.i % 99999)::text || '/' || (2020 + g.i % 2)::text, date '2020-02-01' + (g.i % 700), 'محمد بن أحمد', 'فاطمة بنت علي', 'father',
             jsonb_build_object('firstNameAr', 'محمد', 'lastNameAr', ($2::text[])[1 + g.l], 'firstNameLatin', 'Mohammed', 'lastNameLatin', ($4::text[])[1 + g.l], 'cin', g.cin, 'profession', '', 'address', '', 'phone', '+212661000000', 'email', ''),
             '{}'::jsonb, null, '[]'::jsonb, '', '+212661000000', true, 'ar', null,
             ($5::text[])[1 + g.f] || ' ' || ($6::text[])[1 + g.l] || ' ' || ($7::text[])[1 + g.f] || ' ' || ($8::text[])[1 + g.l] || ' '
               || (g.i % 99999)::text || '/' || (2020 + g.i % 2)::text || ' ' || lower(g.cin) || ' ' || lower(g.ref),
             array[]::text[],
             (array['eligible','eligible','eligible','eligible','eligible','eligible','tolerance','underAge'])[1 + g.i % 8],
             case when g.i % 11 = 0 then 'outOfZone' else 'inZone' end,
             case when g.i % 29 = 0 then 'possibleDuplicate' else 'none' end,
             case when g.i % 31 = 0 then 'inconsistent' else 'consistent' end,
             null, null, array[]::text[], 'pre-registration-' || g.ref,
             timestamptz '2026-11-01' + (g.i % 5000000) * interval '1 second', now()
        from g join sz on sz.k = g.i % g.cnt`, [...params, start, end]);
    console.log(`  inserted ${end.toLocaleString('en')} rows (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const t1 = Date.now();
  for (const i of idx) await c.query(i.indexdef);
  await c.query('vacuum analyze pre_registration'); // what autovacuum does after a bulk insert (visibility map for index-only scans)
  console.log(`seeded ${ROWS.toLocaleString('en')} rows in ${((t1 - t0) / 1000).toFixed(1)} s; indexes rebuilt + analyze in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const started = Date.now();
  await ensureDatabase();
  await migrateUp(URL_);
  await seedAll(URL_);
  const pg = new Client({ connectionString: URL_ });
  await pg.connect();
  await seed(pg);
  const orm = await createOrm(URL_);
  const em = orm.em.fork();
  const director = await em.findOneOrFail(StaffUser, { username: 'director.04421A01' }, { populate: ['school', 'directorate', 'academy'] });
  const codes = await schoolsInScope(em, director);
  const inScope = Number((await pg.query('select count(*) from pre_registration where school_code = any($1)', [codes])).rows[0].count);
  const sample = (await pg.query(`select reference, father->>'cin' as cin from pre_registration where school_code = any($1) order by random() limit 500`, [codes])).rows as Array<{ reference: string; cin: string }>;
  console.log(`\ndirector.04421A01: ${inScope.toLocaleString('en')} requests in scope (of ${ROWS.toLocaleString('en')}); ${ITER} runs per scenario\n`);

  const pickFrom = <T>(xs: T[], i: number) => xs[i % xs.length];
  const scenarios: Array<{ name: string; query: (i: number) => QueueQuery }> = [
    { name: 'queue page (default: newest first, page 1, with counts)', query: () => ({}) },
    { name: 'queue page 20, view "ready to approve"', query: () => ({ view: 'ready', page: 20 }) },
    { name: 'search Arabic name (first + last)', query: (i) => ({ q: `${pickFrom(FIRST_AR, i).replace('أ', 'ا')} ${pickFrom(LAST_AR, i * 7)}` }) },
    { name: 'search Latin name prefix (e.g. "youss benj")', query: (i) => ({ q: `${pickFrom(FIRST_LA, i).slice(0, 5)} ${pickFrom(LAST_LA, i * 3).slice(0, 4)}` }) },
    { name: 'search reference', query: (i) => ({ q: pickFrom(sample, i).reference }) },
    { name: 'search CIN', query: (i) => ({ q: pickFrom(sample, i).cin }) },
  ];
  const results: Array<{ name: string; p50: number; p95: number; p99: number; rows: number }> = [];
  for (const s of scenarios) {
    for (let w = 0; w < 5; w++) await queuePage(em, director, s.query(w), codes); // warm-up
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < ITER; i++) {
      const t0 = performance.now();
      const r = await queuePage(em, director, s.query(i), codes);
      times.push(performance.now() - t0);
      rows = r.total;
    }
    times.sort((a, b) => a - b);
    results.push({ name: s.name, p50: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99), rows });
  }
  console.log('| scenario | p50 ms | p95 ms | p99 ms | matches (last run) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rows.toLocaleString('en')} |`);

  // EXPLAIN of each statement of representative queries (knex `?` → `$n`).
  const toPg = (sql: string) => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`); };
  for (const [label, q] of [['queue page', {}], ['Arabic name', { q: 'احمد العلوي' }], ['reference', { q: sample[0].reference }], ['CIN', { q: sample[0].cin }]] as Array<[string, QueueQuery]>) {
    const st = queueStatements(codes, q);
    for (const [part, stmt] of [['rows', st.rows], ['counts', st.counts]] as const) {
      const plan = (await pg.query(`explain (analyze, costs off, timing off, summary on) ${toPg(stmt.sql)}`, stmt.params)).rows.map((r) => r['QUERY PLAN']);
      console.log(`\n--- EXPLAIN ${label} (${part}) ---\n${plan.join('\n')}`);
    }
  }
  await orm.close(true);
  await pg.end();
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => { console.error(err); process.exit(1); });
