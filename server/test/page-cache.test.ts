/**
 * The page cache's store (http/page-cache.ts) keeps answers as the bytes sent: its size bound is in
 * bytes (UTF-8), and a kept answer holds only its own bytes, never a slab of Node's buffer pool.
 */
import { answerBytes, PageCache } from '../http/page-cache';

test('the size bound counts bytes, not characters', () => {
  const cache = new PageCache({ maxBytes: 10 });
  cache.set('ascii', answerBytes('0123456789'));
  expect(cache.get('ascii')?.toString()).toBe('0123456789');
  // Six characters, twelve bytes: over the bound, not kept.
  cache.set('accents', answerBytes('éééééé'));
  expect(cache.get('accents')).toBeUndefined();
});

test('the least recently used answers go first once the kept bytes are over the bound', () => {
  const cache = new PageCache({ maxBytes: 8 });
  cache.set('a', answerBytes('aaaa'));
  cache.set('b', answerBytes('bbbb'));
  cache.get('a');
  cache.set('c', answerBytes('cc'));
  expect([cache.get('a')?.toString(), cache.get('b')?.toString(), cache.get('c')?.toString()]).toEqual(['aaaa', undefined, 'cc']);
});

test('a small answer is kept in memory of its own, not in a slab of the shared buffer pool', () => {
  const cache = new PageCache();
  const sent = answerBytes('{"data":[]}');
  expect(sent.buffer.byteLength).toBeGreaterThan(sent.byteLength); // cut from the pool
  cache.set('small', sent);
  const kept = cache.get('small');
  expect(kept?.toString()).toBe('{"data":[]}');
  expect(kept?.buffer.byteLength).toBe(kept?.byteLength);
});
