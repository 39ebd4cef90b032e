// Flag parsing: ingress-nginx's flag names mean what Portero's own flags
// mean (docs/configuration.md, "ingress-nginx flag names"), and the flags
// that read ingress-nginx annotations take only valid values.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFlags } from '../../src/cli/flags.js';

const BASE = ['--state-dir', '/tmp/portero-flags-test'];
const parse = (...argv: string[]) => parseFlags([...BASE, ...argv]);

describe('ingress-nginx flag names', () => {
  test('--healthz-port is --health-port', () => assert.equal(parse('--healthz-port', '10999').healthPort, 10999));
  test('--update-status=false is --no-update-status; the default writes status', () => {
    assert.equal(parse('--update-status=false').updateStatus, false);
    assert.equal(parse('--no-update-status').updateStatus, false);
    assert.equal(parse().updateStatus, true);
  });
  test('--v=N sets the log level unless --log-level is given', () => {
    assert.equal(parse('--v=2').logLevel, 'info');
    assert.equal(parse('--v=5').logLevel, 'debug');
    assert.equal(parse('--v=5', '--log-level', 'warn').logLevel, 'warn');
  });
  test('--enable-ssl-passthrough takes =BOOL as ingress-nginx does', () => {
    assert.equal(parse('--enable-ssl-passthrough').enableSslPassthrough, true);
    assert.equal(parse('--enable-ssl-passthrough=false').enableSslPassthrough, false);
    assert.equal(parse().enableSslPassthrough ?? false, false);
  });
  test('--ingress-class-by-name and --enable-metrics are accepted', () => {
    const flags = parse('--ingress-class-by-name=true', '--enable-metrics=true');
    assert.equal(flags.ingressClassByName, true);
    assert.equal(flags.enableMetrics, true);
  });
});

describe('annotation flags', () => {
  test('--annotations-prefix: default, and another prefix', () => {
    assert.equal(parse().annotationsPrefix, 'nginx.ingress.kubernetes.io');
    assert.equal(parse('--annotations-prefix', 'ingress.kubernetes.io').annotationsPrefix, 'ingress.kubernetes.io');
  });
  test('--allow-snippet-annotations is off by default', () => {
    assert.equal(parse().allowSnippetAnnotations, false);
    assert.equal(parse('--allow-snippet-annotations').allowSnippetAnnotations, true);
  });
});
