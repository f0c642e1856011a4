/**
 * renderNotification for every event × language: exact subjects, bidi isolation of the
 * left-to-right runs in Arabic, RTL HTML, HTML escaping, required data, SMS segment budget.
 */
import {
  FSI,
  LRI,
  NOTIFICATION_EVENTS,
  NOTIFICATION_LANGUAGES,
  PDI,
  renderNotification,
  smsSegments,
  withinSegments,
  type NotificationData,
  type NotificationEvent,
  type NotificationLanguage,
} from './templates';
import { SegmentedMessage } from 'sms-segments-calculator';

const REF = 'P26-7K3QD-M2X9A';
const CODE = 'G123456789';
const URL_AR = `https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=ar`;
const URL_FR = `https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=fr`;

const ar: NotificationData = {
  reference: REF,
  childFirstName: 'أمينة',
  schoolName: 'مدرسة الأطلس الابتدائية',
  massarCode: CODE,
  reasons: ['عدم استيفاء السن القانوني', 'عدم مطابقة المؤسسة مع محل السكنى'],
  correctionMessage: 'المرجو تصحيح رقم رسم الولادة وإرفاق صورة واضحة.',
  statusUrl: URL_AR,
  decisionDueOn: '2027-01-15',
  schoolAddress: 'زنقة الطائف، حي حسان، الرباط',
  originalsDueBy: '2027-07-15',
};
const fr: NotificationData = {
  reference: REF,
  childFirstName: 'Amina',
  schoolName: 'École primaire Al Atlas',
  massarCode: CODE,
  reasons: ["Âge légal non atteint", 'Établissement hors zone de résidence'],
  correctionMessage: "Merci de corriger le numéro de l'acte de naissance.",
  statusUrl: URL_FR,
  decisionDueOn: '2027-01-15',
  schoolAddress: 'Rue Taïf, quartier Hassan, Rabat',
  originalsDueBy: '2027-07-15',
};
const dataFor = (l: NotificationLanguage) => (l === 'ar' ? ar : fr);
const iso = (s: string) => `${LRI}${s}${PDI}`;

const SUBJECTS: Record<NotificationLanguage, Record<NotificationEvent, string>> = {
  ar: {
    received: `تم استلام طلب التسجيل الأولي رقم ${LRI}${REF}${PDI}`,
    registered: `تمت المصادقة على التسجيل — الطلب رقم ${LRI}${REF}${PDI}`,
    rejected: `تم رفض طلب التسجيل الأولي رقم ${LRI}${REF}${PDI}`,
    correctionRequested: `مطلوب تصحيح طلب التسجيل الأولي رقم ${LRI}${REF}${PDI}`,
    withdrawn: `تم سحب طلب التسجيل الأولي رقم ${LRI}${REF}${PDI}`,
    unlockLocked: `محاولات خاطئة على طلب التسجيل الأولي رقم ${LRI}${REF}${PDI}`,
    reminder: `طلب التسجيل الأولي رقم ${LRI}${REF}${PDI} ما زال قيد الدراسة`,
  },
  fr: {
    received: `Demande de pré-inscription reçue — n° ${REF}`,
    registered: `Inscription validée — demande n° ${REF}`,
    rejected: `Demande de pré-inscription rejetée — n° ${REF}`,
    correctionRequested: `Correction demandée — demande n° ${REF}`,
    withdrawn: `Demande de pré-inscription retirée — n° ${REF}`,
    unlockLocked: `Tentatives erronées sur la demande de pré-inscription n° ${REF}`,
    reminder: `Décision en attente — demande n° ${REF}`,
  },
};

const SMS: Record<NotificationLanguage, Record<NotificationEvent, string>> = {
  ar: {
    received: `تسجيل: توصلنا بطلب تسجيل أمينة، رقم ${iso(REF)}. ستبت فيه المؤسسة قبل ${iso('15/01/2027')}.`,
    registered: `تسجيل: سُجل أمينة في مدرسة الأطلس الابتدائية. احضروا قبل ${iso('15/07/2027')} بأصل رسم الولادة وبطاقة الولي.`,
    rejected: `تسجيل: تم رفض طلب تسجيل أمينة رقم ${iso(REF)}. تجدون الأسباب في صفحة تتبع الطلب أو لدى إدارة المؤسسة.`,
    correctionRequested: `تسجيل: طلبت المؤسسة تصحيح طلب تسجيل أمينة رقم ${iso(REF)}. اطلعوا على ملاحظتها وصححوا الطلب عبر صفحة التتبع.`,
    withdrawn: `تسجيل: تم سحب طلب تسجيل أمينة رقم ${iso(REF)} بطلب منكم. يمكنكم تقديم طلب جديد خلال فترة التسجيل.`,
    unlockLocked: `تسجيل: أُدخلت أرقام عقد ازدياد خاطئة عدة مرات لطلب تسجيل أمينة رقم ${iso(REF)}. أُوقف التدبير عبر الإنترنت لمدة ساعة.`,
    reminder: `تسجيل: طلب أمينة رقم ${iso(REF)} لم يُبت فيه في أجله (${iso('15/01/2027')}). أُخبرت المديرية الإقليمية.`,
  },
  fr: {
    received: `Tasjil : demande de Amina enregistrée, réf. ${REF}. Décision au plus tard le 15/01/2027. Suivi : ${URL_FR}`,
    registered: `Tasjil : Amina inscrit(e) à École primaire Al Atlas, code Massar ${CODE}. Présentez-vous avant le 15/07/2027 avec l'original de l'acte de naissance et la CIN du tuteur. Adresse : ${URL_FR}`,
    rejected: `Tasjil : la demande de pré-inscription de l'enfant Amina (réf. ${REF}) a été rejetée. Motifs et démarches : ${URL_FR}`,
    correctionRequested: `Tasjil : l'établissement demande une correction de la demande de l'enfant Amina (réf. ${REF}). Message et correction : ${URL_FR}`,
    withdrawn: `Tasjil : la demande de pré-inscription de l'enfant Amina (réf. ${REF}) a été retirée à votre demande. Vous pouvez en déposer une nouvelle pendant la période d'inscription.`,
    unlockLocked: `Tasjil : plusieurs numéros d'acte de naissance erronés ont été saisis pour la demande de l'enfant Amina (réf. ${REF}). Gestion en ligne bloquée une heure.`,
    reminder: `Tasjil : la demande de Amina (réf. ${REF}) attend toujours sa décision, prévue au plus tard le 15/01/2027. La direction provinciale est informée. Suivi : ${URL_FR}`,
  },
};

describe.each(NOTIFICATION_LANGUAGES.flatMap((l) => NOTIFICATION_EVENTS.map((e) => [l, e] as const)))('%s / %s', (language, event) => {
  const n = renderNotification(event, language, dataFor(language));

  test('exact subject, one line', () => {
    expect(n.subject).toBe(SUBJECTS[language][event]);
  });

  test('exact SMS, within two segments', () => {
    expect(n.sms).toBe(SMS[language][event]);
    expect(smsSegments(n.sms).segments).toBeLessThanOrEqual(2);
  });

  test('text names the child, the reference and the status link', () => {
    expect(n.text.endsWith('\n')).toBe(true);
    expect(n.text).not.toMatch(/\n{3,}/);
    expect(n.text).toContain(dataFor(language).childFirstName);
    if (language === 'ar') {
      expect(n.text).toContain(iso(REF));
      expect(n.text).toContain(iso(URL_AR));
      // Every other occurrence of the reference (outside the isolated URL) is isolated too.
      const withoutUrl = n.text.split(iso(URL_AR)).join('');
      expect(withoutUrl.split(REF).length - 1).toBe(withoutUrl.split(iso(REF)).length - 1);
    } else {
      expect(n.text).toContain(`Numéro de demande : ${REF}\n`);
      expect(n.text).toContain(`Suivre la demande : ${URL_FR}\n`);
      expect(n.text).not.toContain(LRI);
    }
  });

  test('HTML is a complete document in the right direction, codes in <bdi dir="ltr">', () => {
    expect(n.html.startsWith('<!DOCTYPE html>\n')).toBe(true);
    if (language === 'ar') {
      expect(n.html).toContain('<html lang="ar" dir="rtl">');
      expect(n.html).toContain('<div dir="rtl" lang="ar"');
    } else {
      expect(n.html).toContain('<html lang="fr" dir="ltr">');
    }
    expect(n.html).toContain(`<bdi dir="ltr">${REF}</bdi>`);
    expect(n.html).toContain(`<title>${n.subject}</title>`);
    expect(n.html).toContain(`href="https://tasjil.men.gov.ma/pre-registrations/${REF}?lang&#x3D;${language}"`);
    expect(n.html).not.toMatch(/<style|<link|class="/); // inline styles only
    expect(n.html).not.toContain('{{');
  });
});

describe('event-specific content', () => {
  test('received: the chosen school and what happens next', () => {
    expect(renderNotification('received', 'ar', ar).text).toContain('المؤسسة التعليمية المختارة: مدرسة الأطلس الابتدائية\n');
    expect(renderNotification('received', 'ar', ar).text).toContain('ماذا بعد؟\n');
    expect(renderNotification('received', 'fr', fr).text).toContain('Établissement choisi : École primaire Al Atlas\n');
    expect(renderNotification('received', 'fr', fr).text).toContain('Et ensuite ?\n');
  });

  test('received: the day by which the decision is due, isolated in Arabic', () => {
    const a = renderNotification('received', 'ar', ar);
    expect(a.text).toContain(`البت في الطلب قبل: ${iso('15/01/2027')}\n`);
    expect(a.html).toContain('<bdi dir="ltr">15/01/2027</bdi>');
    const f = renderNotification('received', 'fr', fr);
    expect(f.text).toContain('Décision attendue au plus tard le : 15/01/2027\n');
    expect(f.text).toContain('- Elle décidera au plus tard le 15/01/2027 ;');
  });

  test('registered: the Massar code (isolated in Arabic) and the original documents', () => {
    const a = renderNotification('registered', 'ar', ar);
    expect(a.text).toContain(`رمز مسار: ${iso(CODE)}\n`);
    expect(a.html).toContain(`<bdi dir="ltr">${CODE}</bdi>`);
    const f = renderNotification('registered', 'fr', fr);
    expect(f.text).toContain(`Code Massar : ${CODE}\n`);
  });

  test('registered: where, until when and with what documents to come', () => {
    const a = renderNotification('registered', 'ar', ar);
    expect(a.text).toContain('- أين: مدرسة الأطلس الابتدائية، زنقة الطائف، حي حسان، الرباط\n');
    expect(a.text).toContain(`- متى: قبل ${iso('15/07/2027')}، خلال أوقات عمل إدارة المؤسسة\n`);
    expect(a.text).toContain('- الوثائق: أصل رسم ولادة الطفل(ة)، أصل البطاقة الوطنية للتعريف لولي الأمر، شهادة السكنى أو فاتورة ماء أو كهرباء باسم ولي الأمر، ووصل طلب التسجيل أو رقمه\n');
    expect(a.html).toContain('<strong>متى:</strong> قبل <bdi dir="ltr">15/07/2027</bdi>');
    const f = renderNotification('registered', 'fr', fr);
    expect(f.text).toContain('- Où : École primaire Al Atlas, Rue Taïf, quartier Hassan, Rabat\n');
    expect(f.text).toContain("- Quand : au plus tard le 15/07/2027, aux heures d'ouverture de l'administration de l'établissement\n");
    expect(f.text).toContain("- Documents : original de l'acte de naissance de l'enfant, original de la carte nationale d'identité du tuteur légal, certificat de résidence ou facture d'eau ou d'électricité au nom du tuteur, et le reçu ou le numéro de la demande\n");
    // A school year without the date, a school without an address: no empty phrase.
    const bare = renderNotification('registered', 'fr', { ...fr, schoolAddress: '', originalsDueBy: null });
    expect(bare.text).toContain('- Où : École primaire Al Atlas\n');
    expect(bare.text).toContain("- Quand : aux heures d'ouverture de l'administration de l'établissement\n");
    expect(bare.sms).toBe(`Tasjil : Amina inscrit(e) à École primaire Al Atlas, code Massar ${CODE}. Présentez-vous avec l'original de l'acte de naissance et la CIN du tuteur. Adresse : ${URL_FR}`);
  });

  test('rejected: every reason listed, isolated in Arabic, escaped in HTML', () => {
    const a = renderNotification('rejected', 'ar', ar);
    expect(a.text).toContain(`أسباب الرفض:\n- \u2068عدم استيفاء السن القانوني${PDI}\n- \u2068عدم مطابقة المؤسسة مع محل السكنى${PDI}\n`);
    expect(a.html).toContain('<li style="margin:0 0 6px 0;"><bdi>عدم استيفاء السن القانوني</bdi></li>');
    const f = renderNotification('rejected', 'fr', { ...fr, reasons: ['Dossier <incomplet> & "non signé"'] });
    expect(f.text).toContain('Motifs du rejet :\n- Dossier <incomplet> & "non signé"\n');
    expect(f.html).toContain('<bdi>Dossier &lt;incomplet&gt; &amp; &quot;non signé&quot;</bdi>');
    expect(f.text).toContain('direction provinciale');
  });

  test("correctionRequested: the director's message, isolated in Arabic, escaped in HTML, and what to do", () => {
    const a = renderNotification('correctionRequested', 'ar', ar);
    expect(a.text).toContain(`ملاحظة الإدارة:\n${FSI}المرجو تصحيح رقم رسم الولادة وإرفاق صورة واضحة.${PDI}\n`);
    expect(a.text).toContain('مدرسة الأطلس الابتدائية');
    expect(a.html).toContain('<bdi>المرجو تصحيح رقم رسم الولادة وإرفاق صورة واضحة.</bdi>');
    const f = renderNotification('correctionRequested', 'fr', { ...fr, correctionMessage: 'Acte <illisible> & "incomplet"' });
    expect(f.text).toContain('Message de la direction :\nActe <illisible> & "incomplet"\n');
    expect(f.html).toContain('<bdi>Acte &lt;illisible&gt; &amp; &quot;incomplet&quot;</bdi>');
    expect(f.text).toContain('corrigez les informations demandées');
  });

  test('withdrawn: confirms the withdrawal and says a new request is possible', () => {
    expect(renderNotification('withdrawn', 'ar', ar).text).toContain('تم سحب طلب التسجيل الأولي للتلميذ(ة) أمينة');
    expect(renderNotification('withdrawn', 'ar', ar).text).toContain('تقديم طلب جديد');
    expect(renderNotification('withdrawn', 'fr', fr).text).toContain('a été retirée à votre demande');
    expect(renderNotification('withdrawn', 'fr', fr).html).toContain('nouvelle demande');
  });

  test('reminder: the decision is late, the provincial directorate is informed, nothing to do', () => {
    expect(renderNotification('reminder', 'ar', ar).text).toContain(`ما زال قيد الدراسة، وقد تجاوزت دراسته الأجل المحدد للبت فيه (${iso('15/01/2027')}).`);
    expect(renderNotification('reminder', 'fr', fr).text).toContain('la décision était attendue au plus tard le 15/01/2027.');
    expect(renderNotification('reminder', 'ar', ar).text).toContain('المديرية الإقليمية');
    expect(renderNotification('reminder', 'fr', fr).text).toContain("est toujours en cours d'examen");
    expect(renderNotification('reminder', 'fr', fr).html).toContain('La direction provinciale en a été informée');
  });

  test('values are HTML-escaped in HTML and left as typed in text', () => {
    const n = renderNotification('received', 'fr', { ...fr, childFirstName: '<script>alert(1)</script>', schoolName: 'A & B' });
    expect(n.html).not.toContain('<script>');
    expect(n.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(n.html).toContain('A &amp; B');
    expect(n.text).toContain('Établissement choisi : A & B\n');
  });

  test('a subject never spans lines', () => {
    const n = renderNotification('received', 'fr', { ...fr, reference: 'P26-AAAAA\r\nBcc: x@y' });
    expect(n.subject).toBe('Demande de pré-inscription reçue — n° P26-AAAAA Bcc: x@y');
  });
});

describe('required data', () => {
  test.each([
    ['received', { ...fr, reference: '' }, 'Notification "received" needs a non-empty reference'],
    ['received', { ...fr, childFirstName: '  ' }, 'Notification "received" needs a non-empty childFirstName'],
    ['received', { ...fr, schoolName: undefined as unknown as string }, 'Notification "received" needs a non-empty schoolName'],
    ['received', { ...fr, statusUrl: '/relative' }, 'Notification "received" needs statusUrl to be an absolute URL'],
    ['received', { ...fr, statusUrl: 'javascript:alert(1)' }, 'Notification "received" needs statusUrl to be an http(s) URL'],
    ['registered', { ...fr, massarCode: undefined }, 'Notification "registered" needs a non-empty massarCode'],
    ['rejected', { ...fr, reasons: [] }, 'Notification "rejected" needs at least one reason'],
    ['rejected', { ...fr, reasons: undefined }, 'Notification "rejected" needs at least one reason'],
    ['rejected', { ...fr, reasons: ['ok', ''] }, 'Notification "rejected" needs a non-empty reasons[1]'],
    ['correctionRequested', { ...fr, correctionMessage: undefined }, 'Notification "correctionRequested" needs a non-empty correctionMessage'],
    ['correctionRequested', { ...fr, correctionMessage: ' ' }, 'Notification "correctionRequested" needs a non-empty correctionMessage'],
  ] as [NotificationEvent, NotificationData, string][])('%s without a needed datum throws', (event, data, message) => {
    expect(() => renderNotification(event, 'ar', data)).toThrow(new TypeError(message));
  });

  test('unknown event or language throws', () => {
    expect(() => renderNotification('approved' as NotificationEvent, 'ar', ar)).toThrow('Unknown notification event "approved"');
    expect(() => renderNotification('received', 'en' as NotificationLanguage, ar)).toThrow('Unknown notification language "en"');
  });

  test('data an event does not need is optional', () => {
    const { massarCode: _m, reasons: _r, correctionMessage: _c, ...minimal } = ar;
    for (const event of ['received', 'withdrawn', 'reminder'] as const) expect(() => renderNotification(event, 'ar', minimal)).not.toThrow();
    const { decisionDueOn: _d, schoolAddress: _a, originalsDueBy: _o, ...noDates } = minimal;
    expect(() => renderNotification('withdrawn', 'ar', noDates)).not.toThrow();
  });

  test('received and reminder need the decision due date as YYYY-MM-DD', () => {
    expect(() => renderNotification('received', 'ar', { ...ar, decisionDueOn: undefined })).toThrow(new TypeError('Notification "received" needs decisionDueOn as YYYY-MM-DD'));
    expect(() => renderNotification('reminder', 'fr', { ...fr, decisionDueOn: '15/01/2027' })).toThrow(new TypeError('Notification "reminder" needs decisionDueOn as YYYY-MM-DD'));
  });
});

describe('SMS length with long realistic values', () => {
  const long = {
    ar: { ...ar, childFirstName: 'عبد الرحمن', schoolName: 'مدرسة عبد الكريم الخطابي الابتدائية' },
    fr: {
      ...fr,
      childFirstName: 'Abderrahmane',
      schoolName: 'École primaire Abdelkrim El Khattabi',
      statusUrl: `https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=fr`,
    },
  };
  // Expected segment count of every SMS template once filled with the long values above.
  const EXPECTED_SEGMENTS: Record<NotificationLanguage, Record<NotificationEvent, number>> = {
    ar: { received: 2, correctionRequested: 2, registered: 2, rejected: 2, withdrawn: 2, reminder: 2, unlockLocked: 2 },
    fr: { received: 2, correctionRequested: 2, registered: 2, rejected: 2, withdrawn: 2, reminder: 2, unlockLocked: 2 },
  };
  test('every event has an expected segment count', () => {
    for (const l of NOTIFICATION_LANGUAGES) expect(Object.keys(EXPECTED_SEGMENTS[l]).sort()).toEqual([...NOTIFICATION_EVENTS].sort());
  });
  test.each(NOTIFICATION_LANGUAGES.flatMap((l) => NOTIFICATION_EVENTS.map((e) => [l, e] as const)))('%s / %s stays within two segments', (language, event) => {
    const { sms } = renderNotification(event, language, long[language]);
    const info = smsSegments(sms);
    expect(info.segments).toBe(EXPECTED_SEGMENTS[language][event]);
    expect(info.segments).toBeLessThanOrEqual(2);
    expect(info.encoding).toBe(language === 'ar' ? 'UCS-2' : 'GSM-7');
    if (language === 'ar') expect(sms.length).toBeLessThanOrEqual(134);
  });
});

test('unlockLocked: says management is locked for an hour, nothing was shown or changed', () => {
  expect(renderNotification('unlockLocked', 'ar', ar).text).toContain('- أوقفنا تدبير هذا الطلب عبر الإنترنت (التعديل والسحب) لمدة ساعة.\n');
  expect(renderNotification('unlockLocked', 'fr', fr).text).toContain("- Aucune donnée personnelle n'a été affichée et la demande n'a pas changé.\n");
});

describe('smsSegments', () => {
  test.each([
    ['', 'GSM-7', 0, 1],
    ['a'.repeat(160), 'GSM-7', 160, 1],
    ['a'.repeat(161), 'GSM-7', 161, 2],
    ['a'.repeat(306), 'GSM-7', 306, 2],
    ['a'.repeat(307), 'GSM-7', 307, 3],
    ['€'.repeat(80), 'GSM-7', 160, 1],
    ['é à è ù É', 'GSM-7', 9, 1],
    ['reçue', 'UCS-2', 5, 1],
    ['ب'.repeat(70), 'UCS-2', 70, 1],
    ['ب'.repeat(71), 'UCS-2', 71, 2],
    ['ب'.repeat(134), 'UCS-2', 134, 2],
    ['ب'.repeat(135), 'UCS-2', 135, 3],
    [`a${LRI}b${PDI}`, 'UCS-2', 4, 1],
  ])('%j → %s, %i units, %i segment(s)', (body, encoding, units, segments) => {
    expect(smsSegments(body)).toEqual({ encoding, units, segments });
  });
});

describe('smsSegments\' arithmetic and withinSegments agree with Twilio\'s calculator', () => {
  /** Deterministic pseudo-random bodies from alphabets that stress each rule: GSM-7, extension characters, Arabic with and without diacritics, combining accents, accents outside GSM-7, astral characters. */
  const ALPHABETS = ['abc XYZ 0123', '€{}[]~^|\\ab', 'ابتثجحخ دذر', 'بَّ تُ ثِ جْ', 'e\u0301a\u0300 o', 'çêâîôûœ’ ab', 'ab😀c𝔸', `a${LRI}b${PDI}`];
  const calculator = (b: string) => { const m = new SegmentedMessage(b, 'auto'); return { encoding: m.encodingName, units: m.messageSize / (m.encodingName === 'GSM-7' ? 7 : 16), segments: Math.max(1, m.segmentsCount) }; };
  let seed = 42;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const bodies: string[] = [];
  for (let i = 0; i < 600; i++) {
    const alphabet = Array.from(ALPHABETS[i % ALPHABETS.length]);
    const mix = Array.from(ALPHABETS[rnd(ALPHABETS.length)]);
    const len = 50 + rnd(230);
    let s = '';
    while (s.length < len) s += (rnd(10) === 0 ? mix : alphabet)[rnd(alphabet.length)] ?? 'a';
    bodies.push(s);
  }
  test('smsSegments gives the calculator\'s encoding, units and segments on 600 bodies of 50 to 280 units', () => {
    expect(bodies.filter((b) => JSON.stringify(smsSegments(b)) !== JSON.stringify(calculator(b)))).toEqual([]);
  });
  test.each([1, 2, 3])('withinSegments agrees with the calculator on the same bodies, at most %i segment(s)', (max) => {
    const disagreements = bodies.filter((b) => withinSegments(b, max) !== calculator(b).segments <= max);
    expect(disagreements).toEqual([]);
    // Both answers occur, so the comparison is not vacuous.
    expect(new Set(bodies.map((b) => withinSegments(b, max))).size).toBe(2);
  });
  test.each([
    ['ب'.repeat(134), 2, true], ['ب'.repeat(135), 2, false], ['ب'.repeat(70), 1, true], ['ب'.repeat(71), 1, false],
    ['€'.repeat(80), 1, true], ['€'.repeat(81), 1, false], [`${'ب'.repeat(66)}😀${'ب'.repeat(66)}`, 2, false],
  ])('%j at most %i segment(s): %s', (body, max, expected) => {
    expect(withinSegments(body, max)).toBe(expected);
  });
});
