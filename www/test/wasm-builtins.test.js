// The release module's own `memcmp` and `bcmp` (src/wasm/alloc.rs), called from JS.
//
// They must keep different bodies: with identical ones LLVM merged `memcmp` into `bcmp`, and a
// fixed-size compare inlined into an ordering then carried `bcmp`'s meaning (only zero or
// non-zero), so `<[u8; 16]>::cmp` answered Greater for every unequal pair and a restored engine
// kept two documents of one id. The wasm-pack tests build in debug, where that never happens;
// this test reads the release package that the host and the CLI load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../pkg/', import.meta.url));

test('the module memcmp orders bytes and its bcmp only says equal or not', async () => {
  const glue = await import(`${pkg}bc_spend.js`);
  const wasm = glue.initSync({ module: readFileSync(`${pkg}bc_spend_bg.wasm`) });
  assert.equal(typeof wasm.memcmp, 'function', 'the module exports memcmp');
  assert.equal(typeof wasm.bcmp, 'function', 'the module exports bcmp');
  const a = wasm.__wbindgen_malloc(64, 1);
  const b = wasm.__wbindgen_malloc(64, 1);
  // A fixed sequence (no Math.random): lengths 1 to 40, the difference at each position, with
  // the byte above and below, so the word-at-a-time path and the tail are both exercised.
  let checked = 0;
  for (let n = 1; n <= 40; n++) {
    for (let at = 0; at < n; at++) {
      for (const [x, y] of [[0x10, 0xf0], [0xf0, 0x10], [0x7f, 0x80], [0x41, 0x41]]) {
        const mem = new Uint8Array(wasm.memory.buffer);
        for (let i = 0; i < n; i++) {
          mem[a + i] = (i * 37 + n) & 0xff;
          mem[b + i] = mem[a + i];
        }
        mem[a + at] = x;
        mem[b + at] = y;
        const want = Math.sign(x - y);
        const where = `length ${n}, byte ${at}, ${x} vs ${y}`;
        assert.equal(Math.sign(wasm.memcmp(a, b, n)), want, `memcmp: ${where}`);
        assert.equal(wasm.bcmp(a, b, n), want === 0 ? 0 : 1, `bcmp returns 0 or 1: ${where}`);
        checked++;
      }
    }
  }
  assert.equal(checked, 40 * 41 / 2 * 4);
  wasm.__wbindgen_free(a, 64, 1);
  wasm.__wbindgen_free(b, 64, 1);
});
