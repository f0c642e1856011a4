/**
 * The daily chart is inserted unescaped into the supervision page (`{{{chartSvg}}}`): everything
 * it writes must be numbers, or text escaped for XML.
 */
import { dailyChartSvg } from './dashboard';

test('labels and dates with markup come out escaped; numbers as numbers', () => {
  const svg = dailyChartSvg(
    [{ date: '2027-06-01"><script>alert(1)</script>', count: 3 }, { date: '2027-06-02', count: 1 }],
    { title: 'Demandes <b>par</b> jour & "plus"', desc: '<img src=x onerror=alert(1)>' },
  );
  expect(svg).not.toMatch(/<script|<img|<b>/);
  expect(svg).toContain('<title id="daily-chart-title">Demandes &lt;b&gt;par&lt;/b&gt; jour &amp; &quot;plus&quot;</title>');
  expect(svg).toContain('<desc id="daily-chart-desc">&lt;img src=x onerror=alert(1)&gt;</desc>');
  expect(svg).toContain('<title>2027-06-01&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;: 3</title>');
  expect(svg).toContain('<title>2027-06-02: 1</title>');
  expect(svg.match(/<rect /g)?.length).toBe(2);
});
