/**
 * The page cache's store (http/page-cache.ts) keeps answers as the bytes sent: its size bound is in
 * bytes (UTF-8), and a kept answer holds only its own bytes, never a slab of Node's buffer pool.
 * An answer is kept from the second time its key is offered: a page asked for once is never stored.
 */
import { answerBytes, PageCache } from '../http/page-cache';

/** Offers an answer twice, as two requests for the same page would: the second is kept. */
const keep = (cache: PageCache, key: string, body: Buffer<ArrayBuffer>) => {
  cache.set(key, body);
  cache.set(key, body);
};

test('an answer is kept from the second time its key comes: a page asked for once never enters the store', () => {
  const cache = new PageCache();
  cache.set('once', answerBytes('first'));
  expect(cache.get('once')).toBeUndefined();
  expect(cache.size).toBe(0);
  cache.set('once', answerBytes('second'));
  expect(cache.get('once')?.toString()).toBe('second');
  // A thousand pages asked for once each (a client paging through by new URLs) keep nothing.
  for (let i = 0; i < 1000; i++) cache.set(`page ${i}`, answerBytes(`page ${i}`));
  expect(cache.size).toBe(1);
  // A kept answer is replaced at once by a newer one (a later request of the same key).
  cache.set('once', answerBytes('third'));
  expect(cache.get('once')?.toString()).toBe('third');
});

test('the size bound counts bytes, not characters', () => {
  const cache = new PageCache({ maxBytes: 10 });
  keep(cache, 'ascii', answerBytes('0123456789'));
  expect(cache.get('ascii')?.toString()).toBe('0123456789');
  // Six characters, twelve bytes: over the bound, not kept.
  keep(cache, 'accents', answerBytes('éééééé'));
  expect(cache.get('accents')).toBeUndefined();
});

test('the least recently used answers go first once the kept bytes are over the bound', () => {
  const cache = new PageCache({ maxBytes: 8 });
  keep(cache, 'a', answerBytes('aaaa'));
  keep(cache, 'b', answerBytes('bbbb'));
  cache.get('a');
  keep(cache, 'c', answerBytes('cc'));
  expect([cache.get('a')?.toString(), cache.get('b')?.toString(), cache.get('c')?.toString()]).toEqual(['aaaa', undefined, 'cc']);
});

test('a small answer is kept in memory of its own, not in a slab of the shared buffer pool', () => {
  const cache = new PageCache();
  const sent = answerBytes('{"data":[]}');
  expect(sent.buffer.byteLength).toBeGreaterThan(sent.byteLength); // cut from the pool
  keep(cache, 'small', sent);
  const kept = cache.get('small');
  expect(kept?.toString()).toBe('{"data":[]}');
  expect(kept?.buffer.byteLength).toBe(kept?.byteLength);
});
