// The Kubernetes documentation's path-matching examples (and a few more
// cases the Ingress spec implies), shared by the unit test of translate and
// the end-to-end test through HAProxy.

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface PathCase {
  title: string;
  rules: [PathType, string][];
  requests: string[];
  /**
   * Index into `rules` of the rule that must answer, null for no match (the
   * default backend), or `bad-request` for a path refused with 400.
   */
  expect: number | null | 'bad-request';
  /** A warning translate gives for these rules (a rule that never serves). */
  warns?: RegExp;
}

export const PATH_TABLE: PathCase[] = [
  { title: 'Prefix / matches any path', rules: [['Prefix', '/']], requests: ['/', '/anything', '/a/b/c', '/?q=1'], expect: 0 },
  { title: 'Exact /foo matches /foo', rules: [['Exact', '/foo']], requests: ['/foo'], expect: 0 },
  { title: 'Exact /foo does not match /bar', rules: [['Exact', '/foo']], requests: ['/bar'], expect: null },
  { title: 'Exact /foo does not match /foo/', rules: [['Exact', '/foo']], requests: ['/foo/'], expect: null },
  { title: 'Exact /foo/ does not match /foo', rules: [['Exact', '/foo/']], requests: ['/foo'], expect: null },
  { title: 'Prefix /foo matches /foo and /foo/', rules: [['Prefix', '/foo']], requests: ['/foo', '/foo/'], expect: 0 },
  { title: 'Prefix /foo/ matches /foo and /foo/', rules: [['Prefix', '/foo/']], requests: ['/foo', '/foo/'], expect: 0 },
  { title: 'Prefix /aaa/bb does not match /aaa/bbb', rules: [['Prefix', '/aaa/bb']], requests: ['/aaa/bbb'], expect: null },
  { title: 'Prefix /aaa/bbb matches /aaa/bbb', rules: [['Prefix', '/aaa/bbb']], requests: ['/aaa/bbb'], expect: 0 },
  { title: 'Prefix /aaa/bbb/ matches /aaa/bbb (trailing slash ignored)', rules: [['Prefix', '/aaa/bbb/']], requests: ['/aaa/bbb'], expect: 0 },
  { title: 'Prefix /aaa/bbb matches /aaa/bbb/', rules: [['Prefix', '/aaa/bbb']], requests: ['/aaa/bbb/'], expect: 0 },
  { title: 'Prefix /aaa/bbb matches subpath /aaa/bbb/ccc', rules: [['Prefix', '/aaa/bbb']], requests: ['/aaa/bbb/ccc'], expect: 0 },
  { title: 'Prefix /aaa/bbb does not match /aaa/bbbxyz', rules: [['Prefix', '/aaa/bbb']], requests: ['/aaa/bbbxyz'], expect: null },
  { title: 'Prefix /, /aaa: /aaa/ccc matches /aaa', rules: [['Prefix', '/'], ['Prefix', '/aaa']], requests: ['/aaa/ccc'], expect: 1 },
  { title: 'Prefix /, /aaa, /aaa/bbb: /aaa/bbb matches /aaa/bbb', rules: [['Prefix', '/'], ['Prefix', '/aaa'], ['Prefix', '/aaa/bbb']], requests: ['/aaa/bbb'], expect: 2 },
  { title: 'Prefix /, /aaa, /aaa/bbb: /ccc matches /', rules: [['Prefix', '/'], ['Prefix', '/aaa'], ['Prefix', '/aaa/bbb']], requests: ['/ccc'], expect: 0 },
  { title: 'Prefix /aaa does not match /ccc: default backend', rules: [['Prefix', '/aaa']], requests: ['/ccc'], expect: null },
  { title: 'Prefix and Exact /foo: Exact wins for /foo', rules: [['Prefix', '/foo'], ['Exact', '/foo']], requests: ['/foo'], expect: 1 },
  { title: 'Prefix and Exact /foo: Prefix serves /foo/bar', rules: [['Prefix', '/foo'], ['Exact', '/foo']], requests: ['/foo/bar', '/foo/'], expect: 0 },
  { title: 'the query string never takes part', rules: [['Exact', '/foo']], requests: ['/foo?x=1', '/foo?a=/bar'], expect: 0 },
  { title: 'paths are case-sensitive', rules: [['Prefix', '/foo']], requests: ['/FOO', '/Foo/bar'], expect: null },
  { title: 'ImplementationSpecific behaves as Prefix', rules: [['ImplementationSpecific', '/foo']], requests: ['/foo', '/foo/', '/foo/bar'], expect: 0 },
  { title: 'ImplementationSpecific is element-wise', rules: [['ImplementationSpecific', '/foo']], requests: ['/foobar'], expect: null },
  { title: 'longest prefix wins whatever the order', rules: [['Prefix', '/a/b/c'], ['Prefix', '/a'], ['Prefix', '/a/b']], requests: ['/a/b/c/d'], expect: 0 },
  { title: 'a longer Exact beats a shorter Prefix', rules: [['Prefix', '/a'], ['Exact', '/a/b']], requests: ['/a/b'], expect: 1 },
  { title: 'a longer Prefix beats a shorter Exact that does not match', rules: [['Exact', '/a'], ['Prefix', '/a/b']], requests: ['/a/b/c'], expect: 1 },
  { title: 'repeated slashes stay inside the prefix', rules: [['Prefix', '/foo']], requests: ['/foo//bar'], expect: 0 },
  { title: 'Prefix /foo and /foo/: the longer /foo/ wins every request', rules: [['Prefix', '/foo'], ['Prefix', '/foo/']], requests: ['/foo', '/foo/', '/foo/bar'], expect: 1, warns: /takes priority/ },
  { title: 'Prefix /foo/ and /foo: the longer /foo/ wins, whatever the order', rules: [['Prefix', '/foo/'], ['Prefix', '/foo']], requests: ['/foo', '/foo/bar'], expect: 0, warns: /takes priority/ },
  // Path normalisation (docs/routing.md): a path is routed as the backend will resolve it.
  {
    title: 'dot segments, escaped dots and repeated slashes are resolved before matching',
    rules: [['Prefix', '/public'], ['Prefix', '/private']],
    requests: ['/private', '/public/../private', '/public/%2e%2e/private', '/public/.%2E/private', '/public/./../private', '/public//../private', '/%70rivate/x', '/public/../../private'],
    expect: 1,
  },
  { title: 'an escaped unreserved character matches its plain form', rules: [['Exact', '/~user/a-b']], requests: ['/%7Euser/a%2Db', '/%7euser/./a-b'], expect: 0 },
  {
    title: 'dot segments only a backend would resolve are refused',
    rules: [['Prefix', '/public'], ['Prefix', '/private']],
    requests: ['/public/..%2fprivate', '/public/..%2Fprivate', '/public/..%5Cprivate', '/public/..;/private', '/public/.;x/private', '/public\\..\\private'],
    expect: 'bad-request',
  },
  { title: 'a broken escape is refused', rules: [['Prefix', '/']], requests: ['/a%zz', '/a%2', '/a?q=%'], expect: 'bad-request' },
  { title: 'dots inside a segment are ordinary characters', rules: [['Prefix', '/a/..b'], ['Prefix', '/a/.c']], requests: ['/a/..b/x'], expect: 0 },
];
