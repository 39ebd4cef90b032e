// TLS Secret inspection: the PEM parser stays linear on hostile input, and a
// certificate is refused exactly when HAProxy (on the OpenSSL of this
// machine) would refuse to load it. Certificates are made with the openssl
// command line and every verdict is compared with `haproxy -c`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { inspectKeyPair, MAX_CERTIFICATES } from '../../src/tls/inspect.js';
import { parsePem } from '../../src/tls/pem.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function openssl(directory: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: directory });
}

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

/** A certificate (tls.crt) and key (tls.key) made with the openssl command line. */
interface Case {
  name: string;
  crt: string;
  key: string;
}

describe('inspectKeyPair refuses exactly what HAProxy refuses', () => {
  let directory: string;
  const cases: Case[] = [];

  /** `openssl req -x509`: a self-signed certificate with a new key. */
  async function selfSigned(name: string, newkey: string[], extra: string[] = []): Promise<void> {
    await openssl(directory, ['req', '-x509', ...newkey, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}.test`, '-addext', `subjectAltName=DNS:${name}.test`, ...extra]);
    cases.push({ name, crt: await readFile(join(directory, `${name}.crt`), 'utf8'), key: await readFile(join(directory, `${name}.key`), 'utf8') });
  }

  /** A leaf for `name`, signed by the CA `ca` with digest `md`; the chain in tls.crt is the leaf plus `chain` files. */
  async function signed(name: string, ca: string, md: string, options: { keySize?: number; chain?: string[]; extensions?: string } = {}): Promise<void> {
    await openssl(directory, ['req', '-newkey', `rsa:${options.keySize ?? 2048}`, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}.test`]);
    await writeFile(join(directory, `${name}.ext`), options.extensions ?? `subjectAltName=DNS:${name}.test\n`);
    await openssl(directory, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(cases.length + 100), '-days', '30', `-${md}`, '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    const chain = await Promise.all([name, ...(options.chain ?? [])].map((file) => readFile(join(directory, `${file}.crt`), 'utf8')));
    cases.push({ name, crt: chain.join(''), key: await readFile(join(directory, `${name}.key`), 'utf8') });
  }

  /** HAProxy's verdict: does `haproxy -c` accept a bind that loads this certificate and key? */
  async function haproxyAccepts(item: Case): Promise<{ ok: boolean; output: string }> {
    const pem = join(directory, `${item.name}.pem`);
    const config = join(directory, `${item.name}.cfg`);
    await writeFile(pem, `${item.crt}${item.key}`);
    await writeFile(config, ['defaults', '  mode http', '  timeout connect 1s', '  timeout client 1s', '  timeout server 1s', 'frontend f', `  bind 127.0.0.1:65001 ssl crt ${pem}`, ''].join('\n'));
    try {
      await run('haproxy', ['-c', '-f', config]);
      return { ok: true, output: '' };
    } catch (error) {
      return { ok: false, output: String((error as { stderr?: string }).stderr) };
    }
  }

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'portero-inspect-'));
    await selfSigned('rsa2048', ['-newkey', 'rsa:2048']);
    await selfSigned('rsa1024', ['-newkey', 'rsa:1024']);
    await selfSigned('ecp256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    await selfSigned('ecp192', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime192v1']);
    await selfSigned('ed25519', ['-newkey', 'ed25519']);
    // Self-signed with SHA-1: OpenSSL does not check the signature of a self-signed certificate.
    await selfSigned('rsa2048sha1', ['-newkey', 'rsa:2048'], ['-sha1']);
    await selfSigned('ca', ['-newkey', 'rsa:2048']);
    await selfSigned('weakca', ['-newkey', 'rsa:1024']);
    await signed('leafsha256', 'ca', 'sha256');
    await signed('leafsha1', 'ca', 'sha1');
    await signed('leafmd5', 'ca', 'md5');
    await signed('chainsha256', 'ca', 'sha256', { chain: ['ca'] });
    await signed('leaf1024', 'ca', 'sha256', { keySize: 1024 });
    // A good leaf whose chain holds a CA with a 1024-bit key.
    await signed('weakchain', 'weakca', 'sha256', { chain: ['weakca'] });
    // An intermediate signed with SHA-1 by a good root, and a good leaf under it.
    await signed('inter', 'ca', 'sha1', { extensions: 'basicConstraints=critical,CA:true\nkeyUsage=keyCertSign,cRLSign\n' });
    await signed('underinter', 'inter', 'sha256', { chain: ['inter'] });
    // Expired (January 2020): HAProxy loads it; Portero serves it with a warning.
    await openssl(directory, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=expired.test']);
    await writeFile(join(directory, 'index.txt'), '');
    await writeFile(join(directory, 'serial'), '01\n');
    await writeFile(join(directory, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
    await openssl(directory, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext']);
    cases.push({ name: 'expired', crt: await readFile(join(directory, 'expired.crt'), 'utf8'), key: await readFile(join(directory, 'expired.key'), 'utf8') });
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('the verdict equals haproxy -c for every kind of certificate', async () => {
    const verdicts = new Map<string, boolean>();
    for (const item of cases) {
      const haproxy = await haproxyAccepts(item);
      const inspected = inspectKeyPair(item.crt, item.key);
      verdicts.set(item.name, haproxy.ok);
      assert.equal(inspected.ok, haproxy.ok, `${item.name}: HAProxy ${haproxy.ok ? 'accepts' : 'refuses'} it, inspect ${inspected.ok ? 'accepts it' : `refuses it: ${inspected.reason}`}\n${haproxy.output}`);
    }
    // Both verdicts occur, so the comparison above means something on this machine.
    assert.deepEqual(
      [...verdicts].filter(([, ok]) => !ok).map(([name]) => name).sort(),
      ['ecp192', 'inter', 'leaf1024', 'leafmd5', 'leafsha1', 'rsa1024', 'underinter', 'weakca', 'weakchain'],
    );
  });

  test('a refusal says what is wrong', () => {
    const reason = (name: string) => {
      const item = cases.find((entry) => entry.name === name)!;
      const result = inspectKeyPair(item.crt, item.key);
      assert.ok(!result.ok, `${name} is accepted`);
      assert.equal(result.field, 'tls.crt');
      return result.reason;
    };
    assert.match(reason('rsa1024'), /^the certificate's RSA key of 1024 bits is too weak; at least 2048 are needed/);
    assert.match(reason('leaf1024'), /RSA key of 1024 bits is too weak; at least 2048 are needed/);
    assert.match(reason('ecp192'), /EC key on curve prime192v1 is too weak; a curve of at least 224 bits \(such as P-256\) is needed/);
    assert.match(reason('leafsha1'), /^the certificate is signed with SHA-1 \(sha1WithRSAEncryption\), which OpenSSL refuses; /);
    assert.match(reason('leafmd5'), /signed with MD5 \(md5WithRSAEncryption\)/);
    assert.match(reason('weakchain'), /^certificate 2 in tls\.crt \(the chain\) has an RSA key of 1024 bits/);
    assert.match(reason('underinter'), /^certificate 2 in tls\.crt \(the chain\) is signed with SHA-1/);
  });

  test('inspecting again gives the same answer (verdicts are remembered by key and signature algorithm)', () => {
    // The second inspection of each kind is answered from what OpenSSL said for the first.
    for (const item of cases) {
      const first = inspectKeyPair(item.crt, item.key);
      const second = inspectKeyPair(item.crt, item.key);
      assert.deepEqual(second.ok ? 'ok' : second.reason, first.ok ? 'ok' : first.reason, item.name);
    }
  });

  test(`a chain of more than ${MAX_CERTIFICATES} certificates is refused`, () => {
    const item = cases.find((entry) => entry.name === 'chainsha256')!;
    const ca = cases.find((entry) => entry.name === 'ca')!.crt;
    assert.ok(inspectKeyPair(item.crt + ca.repeat(MAX_CERTIFICATES - 2), item.key).ok);
    const result = inspectKeyPair(item.crt + ca.repeat(MAX_CERTIFICATES - 1), item.key);
    assert.ok(!result.ok && result.field === 'tls.crt');
    assert.equal(result.reason, `holds ${MAX_CERTIFICATES + 1} certificates; at most ${MAX_CERTIFICATES} (the certificate and its intermediates) are accepted`);
  });

  test('keys: each PEM key format is read, an encrypted or mismatched key is refused', async () => {
    const item = cases.find((entry) => entry.name === 'rsa2048')!;
    const ec = cases.find((entry) => entry.name === 'ecp256')!;
    await openssl(directory, ['pkey', '-in', 'rsa2048.key', '-traditional', '-out', 'rsa2048.pkcs1.key']);
    await openssl(directory, ['ec', '-in', 'ecp256.key', '-out', 'ecp256.sec1.key']);
    await openssl(directory, ['pkey', '-in', 'rsa2048.key', '-aes256', '-passout', 'pass:x', '-out', 'rsa2048.enc.key']);
    await openssl(directory, ['rsa', '-in', 'rsa2048.key', '-traditional', '-aes256', '-passout', 'pass:x', '-out', 'rsa2048.enc1.key']);
    const key = (name: string) => readFile(join(directory, name), 'utf8');
    const pkcs1 = await key('rsa2048.pkcs1.key');
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    const fromPkcs1 = inspectKeyPair(item.crt, pkcs1);
    assert.ok(fromPkcs1.ok);
    assert.match(fromPkcs1.info.pem, /-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n/, 'the key is written back as PKCS#8');
    assert.equal(fromPkcs1.info.pem, (inspectKeyPair(item.crt, item.key) as { info: { pem: string } }).info.pem);
    const sec1 = await key('ecp256.sec1.key');
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    assert.ok(inspectKeyPair(ec.crt, sec1).ok);
    for (const encrypted of [await key('rsa2048.enc.key'), await key('rsa2048.enc1.key')]) {
      assert.deepEqual(inspectKeyPair(item.crt, encrypted), { ok: false, field: 'tls.key', reason: 'is encrypted; HAProxy needs an unencrypted key' });
    }
    assert.deepEqual(inspectKeyPair(item.crt, ec.key), { ok: false, field: 'tls.key', reason: 'does not match the certificate in tls.crt' });
    assert.deepEqual(inspectKeyPair(item.crt, item.key + item.key), { ok: false, field: 'tls.key', reason: 'holds more than one private key' });
    // A certificate and its key in one text (the default certificate's file) is read from both fields.
    assert.ok(inspectKeyPair(item.crt + item.key, item.crt + item.key).ok);
  });
});
