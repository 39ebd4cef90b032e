// Flag parsing: ingress-nginx's flag names mean what Portero's own flags
// mean (docs/configuration.md, "ingress-nginx flag names"), and the flags
// that read ingress-nginx annotations take only valid values.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCommand, parseFlags } from '../../src/cli/flags.js';
import { NO_EFFECT_FLAGS, REFUSED_FLAGS } from '../../src/cli/nginx-flags.js';

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

describe('ingress-nginx flags without an effect, or refused', () => {
  test('the arguments of ingress-nginx\'s own deploy manifest parse; each flag without an effect is reported with why', () => {
    const flags = parse(
      '--publish-service=ingress-nginx/ingress-nginx-controller',
      '--election-id=ingress-nginx-leader',
      '--controller-class=k8s.io/ingress-nginx',
      '--ingress-class=nginx',
      '--configmap=ingress-nginx/ingress-nginx-controller',
      '--validating-webhook=:8443',
      '--validating-webhook-certificate=/usr/local/certificates/cert',
      '--validating-webhook-key=/usr/local/certificates/key',
      '--enable-metrics=false',
    );
    assert.equal(flags.ingressClass, 'nginx');
    assert.deepEqual(flags.noEffectFlags.map((entry) => entry.flag), ['--validating-webhook', '--validating-webhook-certificate', '--validating-webhook-key']);
    assert.match(flags.noEffectFlags[0]!.reason, /ValidatingWebhookConfiguration/);
  });
  test('every flag without an effect takes its ingress-nginx form', () => {
    for (const { flag, takes } of NO_EFFECT_FLAGS) {
      const flags = parse(takes === 'bool' ? `--${flag}` : `--${flag}=x`);
      assert.deepEqual(flags.noEffectFlags.map((entry) => entry.flag), [`--${flag}`], flag);
      if (takes === 'bool') assert.equal(parse(`--${flag}=false`).noEffectFlags.length, 1, flag);
    }
    assert.deepEqual(parse().noEffectFlags, []);
  });
  test('flags that would serve something else are refused, with the reason', () => {
    for (const { flag, reason } of REFUSED_FLAGS) {
      const command = buildCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      assert.throws(() => command.parse([...BASE, `--${flag}=ingress-nginx/tcp`], { from: 'user' }), (error: Error) => error.message.includes(reason), flag);
    }
  });
  test('--watch-namespace-selector takes a label selector; a malformed one is refused with what is wrong', () => {
    assert.deepEqual(parse('--watch-namespace-selector=foo=bar').watchNamespaceSelector, { matchLabels: {}, matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] });
    const command = buildCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    assert.throws(() => command.parse([...BASE, '--watch-namespace-selector=foo in (a'], { from: 'user' }), /label selector: unbalanced parentheses/);
  });
  test('--disable-catch-all takes =BOOL; --shutdown-grace-period takes ingress-nginx\'s bare seconds', () => {
    assert.equal(parse('--disable-catch-all').disableCatchAll, true);
    assert.equal(parse('--disable-catch-all=false').disableCatchAll, false);
    assert.equal(parse('--shutdown-grace-period=30').shutdownGracePeriod, 30_000);
    assert.equal(parse('--shutdown-grace-period', '500ms').shutdownGracePeriod, 500);
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
