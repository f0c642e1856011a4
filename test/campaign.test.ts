/**
 * Campaign messages (issue 13, item 3), end to end on the real stack: a supervisor composes over
 * HTTP, the recipients are counted and the SMS segments and cost estimated exactly, the
 * confirmation starts the `campaignMessage` workflow, and workers send through the SMTP and SMS
 * sandboxes (the outbox is the proof). A reminder reaches exactly the unfinished drafts of the
 * directorate once each although its first worker dies in the middle of a batch; a transient
 * failure in the middle of a batch is retried without a second message; an opt-out through the
 * link of a message is honoured by the next campaign; a directorate cannot reach another
 * directorate's parents.
 */
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Mailer, OutgoingEmail } from '../activities/email';
import { createMailer } from '../activities/email';
import { createSmsSender, type SmsSender } from '../activities/sms';
import { campaignSmsSegments, optOutToken, verifyOptOutToken } from '../domain/campaignMessages';
import { codecFromConfig } from '../temporal/codec';
import { sampleMessage } from '../web/services/campaignMessages';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../workers/worker';
import { eventually, startTestApp, type TestApp } from './support/app';
import { ACCOUNTS, EXPECTED, PLACES, seedCampaignFixtures, type CampaignFixtures } from './support/campaign';

const { academy: ACADEMY, A: DIR_A, B: DIR_B, C: DIR_C } = PLACES.main;
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';
import { uniqueSuffix } from './support/stack';

/** 2027-06-27 11:00 in Casablanca: the 2027-2028 campaign closes on 2027-06-30, 3 days left. */
const NOW = new Date('2027-06-27T10:00:00Z');
const PASSWORD = 'Tasjil-Demo-2027';
const SEGMENT_COST = 37;

let t: TestApp;
let fx: CampaignFixtures;
let bundle: WorkflowBundleWithSourceMap;
let supA: Browser;
const paced: string[] = [];

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const db = () => t.orm.em.fork().getConnection();

/** A worker of this file's task queue with its own adapters; `kill()` abandons what it is doing (300 ms). */
async function startWorker(adapters: { mailer?: Mailer; sms?: SmsSender } = {}) {
  const connection = await NativeConnection.connect({ address: t.config.TEMPORAL_ADDRESS });
  const { close, ...activities } = createActivities({ orm: t.orm, config: t.config, ...adapters, campaignPace: async (id) => { paced.push(id); } });
  const worker = await Worker.create({
    connection, namespace: t.config.TEMPORAL_NAMESPACE, taskQueue: t.config.TEMPORAL_TASK_QUEUE, workflowBundle: bundle, activities,
    dataConverter: { payloadCodecs: [codecFromConfig(t.config)] }, shutdownForceTime: '300ms', shutdownGraceTime: '100ms',
  });
  const running = worker.run().catch(() => undefined);
  const kill = async () => {
    worker.shutdown();
    await running;
    close();
    await connection.close().catch(() => undefined);
  };
  return { kill };
}

interface OutboxRow { channel: string; recipient: string; subject: string | null; body: string }
const outbox = (recipient: string) => db().execute<OutboxRow[]>(
  'select channel, recipient, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);
const idOf = (label: string) => fx.accounts[label].id;
const who = (ids: string[]) => Object.keys(fx.accounts).filter((l) => ids.includes(fx.accounts[l].id)).sort();

async function compose(b: Browser, fields: Record<string, string>, lang: 'ar' | 'fr' = 'ar'): Promise<Response> {
  const page = await (await b.get(`/staff/campaigns?lang=${lang}`)).text();
  return b.postForm('/staff/campaigns', { _csrf: inputValue(page, '_csrf')!, schoolYear: '2027-2028', channel: 'any', ...fields });
}
async function composeOk(b: Browser, fields: Record<string, string>): Promise<string> {
  const res = await compose(b, fields);
  expect(res.status).toBe(303);
  return res.headers.get('location')!.split('/').pop()!;
}
async function confirm(b: Browser, id: string): Promise<Response> {
  const page = await (await b.get(`/staff/campaigns/${id}`)).text();
  return b.postForm(`/staff/campaigns/${id}/send`, { _csrf: inputValue(page, '_csrf')! });
}
const messageRow = async (id: string) => (await db().execute<Array<Record<string, unknown>>>('select * from campaign_message where id = ?', [id]))[0];
const deliveries = (id: string) => db().execute<Array<{ account_id: string; status: string; channel: string; language: string; segments: number | null }>>(
  'select account_id, status, channel, language, segments from campaign_delivery where campaign_message_id = ? order by account_id', [id],
);

beforeAll(async () => {
  t = await startTestApp({
    withWorker: false, clock: () => NOW,
    env: {
      TEMPORAL_TASK_QUEUE: `campaign-${uniqueSuffix()}`, CAMPAIGN_BATCH_SIZE: '2', CAMPAIGN_HEARTBEAT_SECONDS: '2',
      CAMPAIGN_SMS_SEGMENT_COST_CENTIMES: String(SEGMENT_COST),
    },
  });
  fx = await seedCampaignFixtures(t, PLACES.main);
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: silentLogger });
  supA = new Browser(t.baseUrl);
  expect((await signInStaff(supA, fx.supervisorA, PASSWORD)).status).toBe(303);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

test('recipients are counted exactly per audience, language and channel; SMS segments and cost estimated from the real texts', async () => {
  const cases: Array<[Record<string, string>, string[]]> = [
    [{ kind: 'reminder', audience: 'unfinishedDrafts' }, EXPECTED.unfinishedA],
    [{ kind: 'opening', audience: 'allAccounts' }, EXPECTED.allA],
    [{ kind: 'unfinished', audience: 'noSubmission' }, EXPECTED.noSubmissionA],
    [{ kind: 'reminder', audience: 'unfinishedDrafts', channel: 'sms' }, ['a2', 'a3']],
    [{ kind: 'reminder', audience: 'unfinishedDrafts', channel: 'email' }, ['a1', 'a6']],
  ];
  const year = { code: '2027-2028', opensOn: '2026-11-01', closesOn: '2027-06-30', isCurrent: true };
  const segAr = campaignSmsSegments(sampleMessage(t.config, 'reminder', year, 3, 'ar').sms).segments;
  const segFr = campaignSmsSegments(sampleMessage(t.config, 'reminder', year, 3, 'fr').sms).segments;
  for (const [fields, labels] of cases) {
    const id = await composeOk(supA, fields);
    const m = await messageRow(id);
    const specs = labels.map((l) => ACCOUNTS[l]);
    const channelOf = (s: (typeof specs)[number]) => (fields.channel && fields.channel !== 'any' ? fields.channel : s.channel);
    const sms = specs.filter((s) => channelOf(s) === 'sms');
    expect([fields, m.status, m.estimated_recipients, m.estimated_sms, m.estimated_emails, m.directorate_code, m.days_left])
      .toEqual([fields, 'draft', labels.length, sms.length, labels.length - sms.length, DIR_A, 3]);
    expect(m.estimated_cost_centimes).toBe(Number(m.estimated_segments) * SEGMENT_COST);
    if (fields.kind === 'reminder' && fields.channel === 'sms') {
      // a2 French (GSM-7, 2 segments), a3 Arabic (UCS-2, 3 segments): the segments of each language's text, once each.
      const page = await (await supA.get(`/staff/campaigns/${id}?lang=fr`)).text();
      expect(page).toContain(`data-segments="${m.estimated_segments}"`);
      expect([segAr, segFr]).toEqual([3, 2]);
      expect(m.estimated_segments).toBe(3 + 2);
      expect(m.estimated_cost_centimes).toBe(5 * SEGMENT_COST);
      expect(page).toContain('data-cost="1.85"');
    }
  }
  // An academy supervisor: the whole academy, or one of its directorates.
  const academy = new Browser(t.baseUrl);
  expect((await signInStaff(academy, fx.academySupervisor, PASSWORD)).status).toBe(303);
  const whole = await messageRow(await composeOk(academy, { kind: 'reminder', audience: 'unfinishedDrafts' }));
  expect([whole.estimated_recipients, whole.academy_code, whole.directorate_code]).toEqual([EXPECTED.unfinishedAcademy.length, ACADEMY, null]);
  const b = await messageRow(await composeOk(academy, { kind: 'reminder', audience: 'unfinishedDrafts', directorate: DIR_B }));
  expect([b.estimated_recipients, b.directorate_code]).toEqual([EXPECTED.unfinishedB.length, DIR_B]);
});

test('scope: a directorate cannot target another directorate (403 in both languages), nor see its messages; an academy not another academy; directors not at all', async () => {
  const refused = await compose(supA, { kind: 'reminder', audience: 'unfinishedDrafts', directorate: DIR_B });
  expect(refused.status).toBe(403);
  const body = await refused.text();
  expect(body).toContain('لا يمكنكم مراسلة آباء خارج نطاقكم');
  expect(body).toContain('Vous ne pouvez pas écrire aux parents hors de votre périmètre');
  const supB = new Browser(t.baseUrl);
  expect((await signInStaff(supB, fx.supervisorB, PASSWORD)).status).toBe(303);
  const bId = await composeOk(supB, { kind: 'reminder', audience: 'unfinishedDrafts' });
  expect((await messageRow(bId)).estimated_recipients).toBe(EXPECTED.unfinishedB.length);
  expect((await supA.get(`/staff/campaigns/${bId}`)).status).toBe(404);
  const page = await (await supA.get('/staff/campaigns')).text();
  expect((await supA.postForm(`/staff/campaigns/${bId}/send`, { _csrf: inputValue(page, '_csrf')! })).status).toBe(404);
  expect((await messageRow(bId)).status).toBe('draft');
  const academy = new Browser(t.baseUrl);
  expect((await signInStaff(academy, fx.academySupervisor, PASSWORD)).status).toBe(303);
  expect((await compose(academy, { kind: 'reminder', audience: 'unfinishedDrafts', directorate: DIR_C })).status).toBe(403);
  expect((await compose(academy, { kind: 'reminder', audience: 'unfinishedDrafts', directorate: 'nope' })).status).toBe(403);
  const director = new Browser(t.baseUrl);
  expect((await signInStaff(director, 'director.04421A01', PASSWORD)).status).toBe(303);
  expect((await director.get('/staff/campaigns')).status).toBe(403);
  // Hostile choices: a 400 with the form again, nothing stored.
  const before = Number((await db().execute<Array<{ n: string }>>('select count(*) as n from campaign_message'))[0].n);
  const bad = await compose(supA, { kind: 'spam', audience: 'everyone', channel: 'fax' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('المرجو الاختيار من القائمة');
  expect(Number((await db().execute<Array<{ n: string }>>('select count(*) as n from campaign_message'))[0].n)).toBe(before);
});

test('a reminder reaches exactly the unfinished drafts once each, although its worker dies in the middle of a batch', async () => {
  const id = await composeOk(supA, { kind: 'reminder', audience: 'unfinishedDrafts' });
  // The first worker sends one message, then hangs inside the second send (the batch holds 2).
  let sends = 0;
  let crash: (err: Error) => void = () => undefined;
  const realMailer = createMailer(t.config);
  const realSms = createSmsSender(t.config);
  // Only campaign messages count (the request of a4 has its own notifications on this task queue).
  const isCampaign = (a: unknown) => JSON.stringify(a).includes('/campaign/stop/');
  const hangAfterFirst = <A, R>(send: (a: A) => Promise<R>) => async (a: A): Promise<R> => {
    if (!isCampaign(a)) return send(a);
    sends += 1;
    if (sends === 2) return new Promise<R>((_resolve, reject) => { crash = reject; });
    return send(a);
  };
  const first = await startWorker({
    mailer: { send: hangAfterFirst((m: OutgoingEmail) => realMailer.send(m)), close: () => undefined },
    sms: { send: hangAfterFirst((m: { to: string; body: string }) => realSms.send(m)) },
  });
  expect((await confirm(supA, id)).status).toBe(303);
  await eventually(async () => sends >= 2, 30_000);
  expect(sends).toBe(2);
  const mid = await deliveries(id);
  expect([mid.length, mid.filter((d) => d.status === 'sent').length]).toEqual([4, 1]);
  // The page shows the progress while it is stuck.
  const progress = await (await supA.get(`/staff/campaigns/${id}`)).text();
  expect(progress).toContain('data-status="sending"');
  expect(progress).toMatch(/data-k="sent"><bdi dir="ltr">1<\/bdi>/);
  // The worker dies; its connection drops (the held row is released); another worker takes over.
  await first.kill();
  crash(new Error('connection lost'));
  const second = await startWorker();
  try {
    await eventually(async () => (await messageRow(id)).status === 'sent', 60_000);
  } finally {
    await second.kill();
    realMailer.close();
  }
  const rows = await deliveries(id);
  expect(who(rows.map((r) => r.account_id))).toEqual(EXPECTED.unfinishedA);
  expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  for (const label of Object.keys(ACCOUNTS)) {
    const msgs = (await outbox(fx.accounts[label].identifier)).filter((m) => /23:59|Tasjil:|تسجيل:/.test(m.body));
    expect([label, msgs.length]).toEqual([label, EXPECTED.unfinishedA.includes(label) ? 1 : 0]);
  }
  // Texts in each parent's language, "3 days left", with a working opt-out link of their own.
  const [a2sms] = await outbox(fx.accounts.a2.identifier);
  expect(a2sms.body).toContain('il reste 3 jours');
  expect(campaignSmsSegments(a2sms.body).segments).toBe(2);
  const [a3sms] = await outbox(fx.accounts.a3.identifier);
  expect(a3sms.body).toContain('3 أيام');
  expect(campaignSmsSegments(a3sms.body).segments).toBe(3);
  expect(rows.filter((r) => r.channel === 'sms').map((r) => r.segments).sort()).toEqual([2, 3]);
  const [a1mail] = await outbox(fx.accounts.a1.identifier);
  expect(a1mail.subject).toContain('3 أيام');
  const token = /\/campaign\/stop\/([A-Za-z0-9_-]{32})/.exec(a1mail.body)![1];
  expect(verifyOptOutToken(t.config.SESSION_SECRET, token)).toBe(idOf('a1'));
  expect((await messageRow(id)).recipients).toBe(4);
  // Confirming again sends nothing more (409, bilingual).
  const again = await confirm(supA, id);
  expect(again.status).toBe(409);
});

test('a transient failure in the middle of a batch is retried without a second message to anyone', async () => {
  const id = await composeOk(supA, { kind: 'opening', audience: 'allAccounts', channel: 'email' });
  const real = createMailer(t.config);
  let calls = 0;
  const flaky: Mailer = {
    async send(m) {
      if (!m.headers?.['X-Tasjil-Campaign']) return real.send(m);
      calls += 1;
      if (calls === 2) throw new Error('SMTP connection reset');
      return real.send(m);
    },
    close: () => real.close(),
  };
  const before = paced.length;
  const w = await startWorker({ mailer: flaky });
  try {
    expect((await confirm(supA, id)).status).toBe(303);
    await eventually(async () => (await messageRow(id)).status === 'sent', 60_000);
  } finally {
    await w.kill();
  }
  const emailsA = EXPECTED.allA.filter((l) => ACCOUNTS[l].channel === 'email');
  expect(who((await deliveries(id)).map((r) => r.account_id))).toEqual(emailsA.sort());
  for (const l of emailsA) {
    expect([l, (await outbox(fx.accounts[l].identifier)).filter((m) => /Ouverture|انطلاق/.test(m.subject ?? '')).length]).toEqual([l, 1]);
  }
  // Every send waited for the pace (the injected throttle): one per send tried, the failed one included.
  expect(paced.slice(before).filter((x) => x === id)).toHaveLength(emailsA.length + 1);
});

test('an opt-out through the link of a message (no sign-in, bilingual confirmation) is honoured by the next campaign', async () => {
  const [mail] = (await outbox(fx.accounts.a6.identifier)).filter((m) => /23:59/.test(m.body));
  const path = /(\/campaign\/stop\/[A-Za-z0-9_-]{32})/.exec(mail.body)![1];
  const parent = new Browser(t.baseUrl);
  const page = await parent.get(path);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('إيقاف رسائل حملات التسجيل');
  expect(html).toContain('Ne plus recevoir les messages des campagnes');
  // A forged token: 404, bilingual; a wrong CSRF token: refused.
  const forged = `/campaign/stop/${optOutToken('another-secret', idOf('a6'))}`;
  expect((await parent.get(forged)).status).toBe(404);
  expect((await parent.postForm(path, { _csrf: 'x' })).status).toBe(403);
  const done = await parent.postForm(path, { _csrf: inputValue(html, '_csrf')! });
  expect(done.status).toBe(200);
  expect(await done.text()).toContain('Désinscription enregistrée');
  expect((await parent.postForm(path, { _csrf: inputValue(html, '_csrf')! })).status).toBe(200); // idempotent

  const id = await composeOk(supA, { kind: 'unfinished', audience: 'unfinishedDrafts' });
  expect((await messageRow(id)).estimated_recipients).toBe(EXPECTED.unfinishedA.length - 1);
  const w = await startWorker();
  try {
    expect((await confirm(supA, id)).status).toBe(303);
    await eventually(async () => (await messageRow(id)).status === 'sent', 60_000);
  } finally {
    await w.kill();
  }
  expect(who((await deliveries(id)).map((r) => r.account_id))).toEqual(['a1', 'a2', 'a3']);
  expect((await outbox(fx.accounts.a6.identifier)).filter((m) => /n'est pas terminée|لم يكتمل/.test(m.body))).toHaveLength(0);
  expect((await outbox(fx.accounts.a1.identifier)).filter((m) => /لم يكتمل/.test(m.body))).toHaveLength(1);
});
