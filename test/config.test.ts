/** The sandboxes' addresses follow their ports unless set (a moved port never sends to another engineer's sandbox). */
import { loadConfig } from '../config';

test('unset, the Massar and SMS addresses are the sandboxes of this machine on their configured ports', () => {
  expect(loadConfig({}).MASSAR_BASE_URL).toBe('http://127.0.0.1:3010');
  expect(loadConfig({}).TWILIO_API_BASE_URL).toBe('http://127.0.0.1:3020');
  const moved = loadConfig({ MASSAR_SANDBOX_PORT: '15310', SMS_SANDBOX_PORT: '15320' });
  expect([moved.MASSAR_BASE_URL, moved.TWILIO_API_BASE_URL]).toEqual(['http://127.0.0.1:15310', 'http://127.0.0.1:15320']);
});

test('set, they win: another address, or an empty Twilio base for the real Twilio API', () => {
  const c = loadConfig({ SMS_SANDBOX_PORT: '15320', TWILIO_API_BASE_URL: '', MASSAR_BASE_URL: 'https://massar.example.ma/api' });
  expect([c.TWILIO_API_BASE_URL, c.MASSAR_BASE_URL]).toEqual(['', 'https://massar.example.ma/api']);
});
