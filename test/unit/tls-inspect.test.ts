// TLS Secret inspection: the PEM parser stays linear on hostile input.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { parsePem } from '../../src/tls/pem.js';

const MiB = 1024 * 1024;

describe('PEM parsing stays linear on hostile input', () => {
  test('1 MiB of BEGIN lines without END is refused, each line read at most once', () => {
    const line = '-----BEGIN A-----\n';
    const text = line.repeat(Math.floor(MiB / line.length)); // 58,254 lines, the Secret size limit
    const parsed = parsePem(text);
    assert.equal(parsed.ok, false);
    assert.ok(parsed.linesRead <= 58_254, `read ${parsed.linesRead} lines`);
    const result = inspectKeyPair(text, 'x');
    assert.deepEqual(result.ok ? 'accepted' : [result.field, /has no -----END A----- line/.test(result.reason)], ['tls.crt', true]);
  });

  test('one BEGIN and 1 MiB of base64 without END: every line is read exactly once', () => {
    const body = `${'QUFB'.repeat(16)}\n`;
    const lines = Math.floor((MiB - 40) / body.length);
    const text = `-----BEGIN CERTIFICATE-----\n${body.repeat(lines)}`;
    const parsed = parsePem(text);
    assert.equal(parsed.ok, false);
    assert.equal(parsed.linesRead, lines + 1);
    const result = inspectKeyPair(text, 'x');
    assert.ok(!result.ok && result.field === 'tls.crt' && /^line 1: the -----BEGIN CERTIFICATE----- block has no -----END CERTIFICATE----- line$/.test(result.reason), JSON.stringify(result));
  });

  test('thousands of well-formed blocks: parsing stops at the block limit', () => {
    const block = '-----BEGIN A-----\nQUFB\n-----END A-----\n';
    const text = block.repeat(Math.floor(MiB / block.length));
    const parsed = parsePem(text, { maxBlocks: 32 });
    assert.ok(!parsed.ok && /more than 32 PEM blocks/.test(parsed.reason));
    assert.equal(parsed.linesRead, 33 * 3 - 2, 'stopped at the BEGIN line of block 33');
  });

  test('more than 1 MiB is refused before parsing', () => {
    const text = `${'#'.repeat(MiB)}\n`;
    assert.deepEqual(parsePem(text), { ok: false, reason: 'is larger than 1 MiB, more than a Secret can hold', linesRead: 0 });
    const result = inspectKeyPair(text, 'x');
    assert.ok(!result.ok && result.field === 'tls.crt' && /larger than 1 MiB/.test(result.reason));
    const key = inspectKeyPair('x', text);
    assert.ok(!key.ok && key.field === 'tls.crt', 'tls.crt is checked first');
  });

  test('text around blocks, CRLF line ends and headers are read as OpenSSL reads them', () => {
    const text = 'Bag Attributes\r\n    localKeyID: 01\r\n-----BEGIN A-----\r\nX-Note: y\r\n\r\nQUFB\r\nQQ==\r\n-----END A-----\r\ntrailing text\r\n';
    const parsed = parsePem(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.blocks.length, 1);
    assert.equal(parsed.blocks[0]?.label, 'A');
    assert.equal(parsed.blocks[0]?.der.toString('latin1'), 'AAAA');
    assert.deepEqual(parsed.blocks[0]?.headers, ['X-Note: y']);
  });

  test('malformed blocks say what is wrong and where', () => {
    const cases: [string, RegExp][] = [
      ['-----BEGIN A-----\nQUFB\n-----END B-----\n', /line 3: -----END B----- closes the -----BEGIN A----- block of line 1/],
      ['x\n-----END A-----\n', /line 2: -----END A----- without a BEGIN line/],
      ['-----BEGIN A-----\nQU*B\n-----END A-----\n', /line 2 is not base64/],
      ['-----BEGIN a b-----\n', /line 1 is not a valid PEM BEGIN line/],
    ];
    for (const [text, reason] of cases) {
      const parsed = parsePem(text);
      assert.ok(!parsed.ok, text);
      assert.match(parsed.reason, reason);
    }
  });
});
