/**
 * Every SMS template, in both languages, filled with realistic hard cases — Latin names with
 * diacritics (ï, é, ç, ô) and typographic apostrophes, long Arabic names, long school names —
 * stays within two segments, counted by Twilio's calculator (sms-segments-calculator: escape
 * characters and surrogate pairs never straddle two segments). French SMS go out in GSM-7
 * (transliterated), Arabic ones in UCS-2.
 */
import { SegmentedMessage } from 'sms-segments-calculator';
import { NOTIFICATION_EVENTS, renderNotification, SMS_MAX_SEGMENTS, toGsm7, type NotificationData, type NotificationEvent } from './templates';

const REF = 'P26-7K3QD-M2X9A';
const common = {
  reference: REF, massarCode: 'G123456789', decisionDueOn: '2027-01-15', originalsDueBy: '2027-07-15',
};
const fr = (childFirstName: string, schoolName: string): NotificationData => ({
  ...common, childFirstName, schoolName, schoolAddress: 'Douar Aïn Rami, commune de Derdara, Chefchaouen',
  reasons: ['Âge légal non atteint'], correctionMessage: 'Acte illisible',
  statusUrl: `https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=fr`,
});
const ar = (childFirstName: string, schoolName: string): NotificationData => ({
  ...common, childFirstName, schoolName, schoolAddress: 'دوار عين الرامي، جماعة دردارة، شفشاون',
  reasons: ['عدم استيفاء السن القانوني'], correctionMessage: 'رسم الولادة غير مقروء',
  statusUrl: `https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=ar`,
});

type Row = [label: string, language: 'ar' | 'fr', data: NotificationData, expected: Record<NotificationEvent, number>];
const all = (n: number): Record<NotificationEvent, number> => ({ received: n, correctionRequested: n, registered: n, rejected: n, withdrawn: n, reminder: n, unlockLocked: n });

const CASES: Row[] = [
  ['fr, diacritics and a typographic apostrophe', 'fr', fr('Anaïs-Françoise', 'École primaire Aït Ourir de l’Oued'), all(2)],
  ['fr, long hyphenated name with an apostrophe, long satellite school', 'fr', fr('Marie-Thérèse N’Diaye', 'Unité satellite Aïn Rami (Groupe scolaire Derdara)'), all(2)],
  ['fr, short name and school', 'fr', fr('Noé', 'École Zerktouni'), all(2)],
  ['ar, compound first name, long satellite school', 'ar', ar('فاطمة الزهراء', 'وحدة فرعية عين الرامي (مجموعة مدارس دردارة)'), all(2)],
  ['ar, long compound name, long school', 'ar', ar('عبد الرحمن بن عبد الله', 'مدرسة الأمير مولاي عبد الله الابتدائية بالحي المحمدي'), all(2)],
  ['ar, short name and school', 'ar', ar('آدم', 'مدرسة ابن سينا'), all(2)],
];

describe.each(CASES)('%s', (_label, language, data, expected) => {
  test.each([...NOTIFICATION_EVENTS])('%s: exact segment count by the calculator, within the budget', (event) => {
    const { sms } = renderNotification(event, language, data);
    const counted = new SegmentedMessage(sms, 'auto');
    expect(counted.segmentsCount).toBe(expected[event]);
    expect(counted.segmentsCount).toBeLessThanOrEqual(SMS_MAX_SEGMENTS);
    expect(counted.encodingName).toBe(language === 'ar' ? 'UCS-2' : 'GSM-7');
    if (language === 'fr') expect(counted.getNonGsmCharacters()).toEqual([]);
  });
});

test('French names keep their GSM-7 accents and lose the others; apostrophes become straight', () => {
  const { sms } = renderNotification('received', 'fr', fr('Anaïs-Françoise N’Diaye', 'École'));
  expect(sms).toBe(`Tasjil : demande de Anais-Francoise N'Diaye enregistrée, réf. ${REF}. Décision au plus tard le 15/01/2027. Suivi : https://tasjil.men.gov.ma/pre-registrations/${REF}?lang=fr`);
  expect(toGsm7('Jérôme Hélène Zoë Œdipe « oui » — À')).toBe('Jérome Hélène Zoe OEdipe " oui " - A');
});

test('an absurdly long name or school is cut with an ellipsis so the SMS still fits', () => {
  const longAr = 'عبد'.repeat(20);
  const a = renderNotification('registered', 'ar', ar(longAr, 'مدرسة '.repeat(30)));
  expect(new SegmentedMessage(a.sms, 'auto').segmentsCount).toBe(2);
  expect(a.sms).toContain('…');
  const f = renderNotification('registered', 'fr', fr('X'.repeat(60), 'École '.repeat(40)));
  expect(new SegmentedMessage(f.sms, 'auto').segmentsCount).toBe(2);
  expect(f.sms).toMatch(/ à (École )+Éc?o?l?e?\., code Massar /);
});
