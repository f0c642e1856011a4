/**
 * The account SMS of the catalogue (confirmation and reset codes, the "account exists" notice) in
 * both languages: exact segment count by Twilio's calculator (sms-segments-calculator), within
 * the two-segment budget, French in GSM-7. The request SMS are tested in
 * activities/smsBudget.test.ts.
 */
import { SegmentedMessage } from 'sms-segments-calculator';
import { OTP_POLICY } from './services/accounts';
import { catalogueSms } from './views/textHelpers';

const minutes = String(OTP_POLICY.ttlMs / 60000);
const CASES = [
  ['ar', 'account.code.verify.sms', { code: '483920', minutes }, 'UCS-2', 1],
  ['ar', 'account.code.reset.sms', { code: '483920', minutes }, 'UCS-2', 1],
  ['ar', 'account.exists.notice.sms', { url: 'https://tasjil.men.gov.ma/account/sign-in' }, 'UCS-2', 2],
  ['fr', 'account.code.verify.sms', { code: '483920', minutes }, 'GSM-7', 1],
  ['fr', 'account.code.reset.sms', { code: '483920', minutes }, 'GSM-7', 1],
  ['fr', 'account.exists.notice.sms', { url: 'https://tasjil.men.gov.ma/account/sign-in' }, 'GSM-7', 2],
] as const;

test.each(CASES)('%s %s (%o): exact encoding and segment count', (lang, key, params, encoding, segments) => {
  const body = catalogueSms(lang, key, params); // as web/routes/account.ts sends it
  const m = new SegmentedMessage(body, 'auto');
  expect(m.encodingName).toBe(encoding);
  expect(m.segmentsCount).toBe(segments);
  expect(m.segmentsCount).toBeLessThanOrEqual(2);
});
